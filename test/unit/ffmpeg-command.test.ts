import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { estimateFargateCost } from '../../containers/ffmpeg/src/cost.ts';
import {
  buildTranscodeArgs,
  displayDimensions,
  escapeFilterValue,
  fitWithinBox,
  outputFrameRate,
  type TranscodeArgsInput,
} from '../../containers/ffmpeg/src/ffmpeg-command.ts';
import { classifyFfmpegFailure, truncationOf } from '../../containers/ffmpeg/src/ffmpeg-diagnostics.ts';
import { detectFontProblem } from '../../containers/ffmpeg/src/font-guard.ts';
import { redactSignedUrls } from '../../containers/ffmpeg/src/media-storage.ts';
import { parseProgress } from '../../containers/ffmpeg/src/progress.ts';
import { RESOLUTION_PRESETS } from '../../functions/core/video.ts';

const box720p = RESOLUTION_PRESETS['720p'];

const jobArgs: TranscodeArgsInput = {
  inputPath: '/work/job/source.mp4',
  outputPath: '/work/job/output.mp4',
  subtitlesPath: '/work/job/subtitles.srt',
  fontsDir: '/usr/share/fonts/truetype/dejavu',
  fontName: 'DejaVu Sans',
  width: 1280,
  height: 720,
  crf: 23,
  preset: 'medium',
  hasAudio: true,
};

describe('fitWithinBox', () => {
  it('scales a 1080p landscape source down to the 720p box', () => {
    expect(fitWithinBox({ width: 1920, height: 1080 }, box720p)).toEqual({ width: 1280, height: 720 });
  });

  it('fits a portrait source by its height, keeping the aspect ratio', () => {
    expect(fitWithinBox({ width: 1080, height: 1920 }, box720p)).toEqual({ width: 406, height: 720 });
  });

  it('fits a 4:3 source by its height', () => {
    expect(fitWithinBox({ width: 1440, height: 1080 }, box720p)).toEqual({ width: 960, height: 720 });
  });

  it('never upscales a source smaller than the box', () => {
    expect(fitWithinBox({ width: 640, height: 360 }, box720p)).toEqual({ width: 640, height: 360 });
  });

  it('makes odd dimensions even without going past the source', () => {
    expect(fitWithinBox({ width: 641, height: 361 }, box720p)).toEqual({ width: 640, height: 360 });
  });

  it('makes odd dimensions of a scaled source even', () => {
    const fitted = fitWithinBox({ width: 1999, height: 1125 }, box720p);
    expect(fitted.width % 2).toBe(0);
    expect(fitted.height % 2).toBe(0);
    expect(fitted.width).toBeLessThanOrEqual(1280);
    expect(fitted.height).toBeLessThanOrEqual(720);
  });

  it('never returns less than 2 pixels on a side', () => {
    expect(fitWithinBox({ width: 1, height: 1 }, box720p)).toEqual({ width: 2, height: 2 });
    expect(fitWithinBox({ width: 4000, height: 2 }, box720p)).toEqual({ width: 1280, height: 2 });
  });

  it('fits a rotated phone video by its displayed (portrait) size', () => {
    const displayed = displayDimensions({
      width: 1920,
      height: 1080,
      rotation: 90,
      sampleAspectRatio: 1,
      pixFmt: 'yuv420p',
      codec: 'h264',
      frameRate: { base: 30, average: 30 },
    });
    expect(displayed).toEqual({ width: 1080, height: 1920 });
    expect(fitWithinBox(displayed, box720p)).toEqual({ width: 406, height: 720 });
  });

  it('uses the displayed width of anamorphic (non-square pixel) sources', () => {
    const displayed = displayDimensions({
      width: 720,
      height: 576,
      rotation: 0,
      sampleAspectRatio: 64 / 45,
      pixFmt: 'yuv420p',
      codec: 'mpeg2video',
      frameRate: { base: 25, average: 25 },
    });
    expect(displayed).toEqual({ width: 1024, height: 576 });
  });
});

describe('buildTranscodeArgs', () => {
  function valueAfter(args: string[], flag: string): string | undefined {
    const index = args.indexOf(flag);
    return index < 0 ? undefined : args[index + 1];
  }

  it('reads the input and writes the output, overwriting without asking', () => {
    const args = buildTranscodeArgs(jobArgs);
    expect(args.slice(0, 6)).toEqual(['-hide_banner', '-nostdin', '-y', '-xerror', '-i', '/work/job/source.mp4']);
    expect(args.at(-1)).toBe('/work/job/output.mp4');
  });

  it('maps the first video stream and the first audio stream only if there is one', () => {
    const args = buildTranscodeArgs(jobArgs);
    expect(args.join(' ')).toContain('-map 0:v:0 -map 0:a:0?');
  });

  it('encodes H.264 with the requested CRF and preset in yuv420p, and AAC audio', () => {
    const args = buildTranscodeArgs({ ...jobArgs, crf: 28, preset: 'veryfast' });
    expect(valueAfter(args, '-c:v')).toBe('libx264');
    expect(valueAfter(args, '-crf')).toBe('28');
    expect(valueAfter(args, '-preset')).toBe('veryfast');
    expect(valueAfter(args, '-pix_fmt')).toBe('yuv420p');
    expect(valueAfter(args, '-c:a')).toBe('aac');
    expect(valueAfter(args, '-b:a')).toBe('128k');
  });

  it('leaves audio out of a video-only input', () => {
    const args = buildTranscodeArgs({ ...jobArgs, hasAudio: false });
    expect(args).toContain('-an');
    expect(args).not.toContain('-c:a');
    expect(args.join(' ')).not.toContain('0:a:0?');
  });

  it('writes a fast-start MP4 and machine-readable progress on stdout', () => {
    const args = buildTranscodeArgs(jobArgs);
    expect(valueAfter(args, '-movflags')).toBe('+faststart');
    expect(valueAfter(args, '-progress')).toBe('pipe:1');
    expect(args).toContain('-nostats');
  });

  it('scales before burning in the subtitles with the configured fonts', () => {
    const filter = valueAfter(buildTranscodeArgs(jobArgs), '-vf');
    expect(filter).toBe(
      "scale=1280:720,setsar=1,subtitles=filename=\\'/work/job/subtitles.srt\\'" +
        ":fontsdir=\\'/usr/share/fonts/truetype/dejavu\\':force_style=\\'FontName=DejaVu Sans\\'",
    );
  });
});

describe('a source read over HTTP', () => {
  const url = 'https://media.s3.eu-west-1.amazonaws.com/uploads/v/source.mp4?X-Amz-Signature=abc&X-Amz-Expires=21600';

  it('reconnects after dropped connections and S3 5xx, options placed before the input they apply to', () => {
    const args = buildTranscodeArgs({ ...jobArgs, inputPath: url });
    const input = args.indexOf('-i');
    expect(args[input + 1]).toBe(url);
    expect(args.slice(0, input)).toEqual(
      expect.arrayContaining(['-reconnect', '1', '-reconnect_on_network_error', '-reconnect_on_http_error', '5xx']),
    );
  });

  it('adds no network options for a local file', () => {
    expect(buildTranscodeArgs(jobArgs).join(' ')).not.toContain('reconnect');
  });

  it('keeps the signature of a presigned URL out of any text that is logged', () => {
    const line = `[https @ 0x55] Opening '${url}' for reading`;
    expect(redactSignedUrls(line)).toBe(
      "[https @ 0x55] Opening 'https://media.s3.eu-west-1.amazonaws.com/uploads/v/source.mp4?<signature redacted>' for reading",
    );
    expect(redactSignedUrls('/tmp/source.mp4: Invalid data')).toBe('/tmp/source.mp4: Invalid data');
  });
});

describe('escapeFilterValue', () => {
  it('quotes a plain path for the option parser and escapes the quotes for the graph parser', () => {
    expect(escapeFilterValue('/tmp/a.srt')).toBe("\\'/tmp/a.srt\\'");
  });

  it('keeps colons literal inside the quotes', () => {
    expect(escapeFilterValue('C:/subs/a.srt')).toBe("\\'C:/subs/a.srt\\'");
  });

  it('closes, escapes and reopens the quotes around a single quote', () => {
    expect(escapeFilterValue("it's.srt")).toBe("\\'it\\'\\\\\\'\\'s.srt\\'");
  });

  it('escapes backslashes and the graph separators , ; [ ]', () => {
    expect(escapeFilterValue('a\\b,c;d[e]')).toBe("\\'a\\\\b\\,c\\;d\\[e\\]\\'");
  });

  describe('with the real ffmpeg', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vidp-escape-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("delivers paths with quotes, colons, backslashes, brackets, commas and spaces to the filter intact", () => {
      // libass logs each file it loads from fontsdir: the log shows the path exactly as ffmpeg understood it.
      const awkwardDir = join(dir, "it's: [a], b;c\\d  ");
      mkdirSync(join(awkwardDir, 'fonts'), { recursive: true });
      copyFileSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', join(awkwardDir, 'fonts', 'DejaVuSans.ttf'));
      const subtitles = join(awkwardDir, "sub's:1.srt");
      writeFileSync(subtitles, '1\n00:00:00,000 --> 00:00:01,000\nHello\n');

      const args = buildTranscodeArgs({
        ...jobArgs,
        inputPath: 'testsrc2=size=64x48:duration=0.2',
        outputPath: '-',
        subtitlesPath: subtitles,
        fontsDir: join(awkwardDir, 'fonts'),
        width: 64,
        height: 48,
        preset: 'ultrafast',
        hasAudio: false,
      });
      const run = spawnSync('ffmpeg', [...args.slice(0, 3), '-f', 'lavfi', ...args.slice(3, -1), '-f', 'null', '-'], {
        encoding: 'utf8',
      });

      // Exit 0: the subtitles filter opened its file (it fails the run when it cannot).
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr).toContain(`Loading font file '${join(awkwardDir, 'fonts', 'DejaVuSans.ttf')}'`);
    });
  });
});

describe('parseProgress', () => {
  const block = (outTimeUs: string, progress = 'continue') =>
    [`frame=25`, `out_time_us=${outTimeUs}`, `out_time_ms=${outTimeUs}`, `out_time=00:00:01.000000`, `speed=30x`, `progress=${progress}`].join('\n');

  it('turns out_time_us into a percentage of the duration', () => {
    expect(parseProgress(block('1000000'), 4)).toEqual({ outTimeSeconds: 1, percent: 25, finished: false });
  });

  it('falls back to out_time_ms, which FFmpeg prints in microseconds as well', () => {
    expect(parseProgress('out_time_ms=3000000\nprogress=continue', 4).percent).toBe(75);
  });

  it('reports 100 and finished on progress=end', () => {
    expect(parseProgress(block('3960000', 'end'), 4)).toMatchObject({ percent: 100, finished: true });
  });

  it('keeps the last values when a chunk holds several blocks', () => {
    expect(parseProgress(`${block('1000000')}\n${block('2000000')}`, 4).percent).toBe(50);
  });

  it('ignores N/A before the first frame', () => {
    expect(parseProgress(block('N/A'), 4)).toEqual({ outTimeSeconds: undefined, percent: undefined, finished: false });
  });

  it('has no percentage when the duration is unknown', () => {
    expect(parseProgress(block('1000000'), undefined).percent).toBeUndefined();
  });

  it('never goes past 100', () => {
    expect(parseProgress(block('9000000'), 4).percent).toBe(100);
  });
});

describe('detectFontProblem', () => {
  // Lines as FFmpeg 5.1 / libass 0.17 print them (see the comment on the patterns in transcode.ts).
  const prefix = '[Parsed_subtitles_2 @ 0x5625ffe58c80] ';

  it('flags libass finding no font at all', () => {
    expect(
      detectFontProblem(`${prefix}fontselect: failed to find any fallback with glyph 0x0 for font: (DejaVu Sans, 400, 0)`),
    ).toEqual({ kind: 'no_font', font: '(DejaVu Sans, 400, 0)' });
  });

  it('reports a character no installed font has', () => {
    expect(
      detectFontProblem(`${prefix}fontselect: failed to find any fallback with glyph 0x4E2D for font: (DejaVu Sans, 400, 0)`),
    ).toEqual({ kind: 'missing_glyph', codePoint: 'U+4E2D' });
  });

  it('reports a file in the fonts dir that is not a font', () => {
    expect(detectFontProblem(`${prefix}Error opening memory font 'x.ttf'`)).toEqual({
      kind: 'unreadable_font_file',
      file: 'x.ttf',
    });
  });

  it('ignores a glyph that a fallback font then provides, and a successful font selection', () => {
    expect(detectFontProblem(`${prefix}Glyph 0x1F600 not found, selecting one more font for (DejaVu Sans, 400, 0)`)).toBeUndefined();
    expect(
      detectFontProblem(`${prefix}fontselect: (DejaVu Sans, 400, 0) -> /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf, 0, DejaVuSans`),
    ).toBeUndefined();
  });

  it('ignores the fontconfig fallback notice, which still finds the system fonts', () => {
    expect(detectFontProblem(`${prefix}No usable fontconfig configuration file found, using fallback.`)).toBeUndefined();
  });
});

describe('buildTranscodeArgs for awkward sources', () => {
  it('encodes a variable-frame-rate source at a constant rate', () => {
    const args = buildTranscodeArgs({ ...jobArgs, frameRate: 29.97 });
    expect(args.join(' ')).toContain('-fps_mode cfr -r 29.97');
    expect(args.indexOf('-r')).toBeGreaterThan(args.indexOf('-i'));
  });

  it('keeps the source timing when no rate is forced', () => {
    expect(buildTranscodeArgs(jobArgs)).not.toContain('-fps_mode');
  });

  it('scales without the subtitles filter when no cue is left to burn in', () => {
    const args = buildTranscodeArgs({ ...jobArgs, subtitlesPath: undefined });
    expect(args[args.indexOf('-vf') + 1]).toBe('scale=1280:720,setsar=1');
  });

  it('stops at the first decoding error (-xerror), so damaged input is reported, not half-encoded', () => {
    expect(buildTranscodeArgs(jobArgs).indexOf('-xerror')).toBeLessThan(buildTranscodeArgs(jobArgs).indexOf('-i'));
  });
});

describe('outputFrameRate', () => {
  const rates = (base: number | undefined, average: number | undefined) => ({ frameRate: { base, average } });

  it('keeps a constant frame rate up to 60 fps', () => {
    expect(outputFrameRate(rates(25, 25))).toBeUndefined();
    expect(outputFrameRate(rates(30000 / 1001, 30000 / 1001))).toBeUndefined();
    expect(outputFrameRate(rates(60, 60))).toBeUndefined();
  });

  it('turns a variable rate into its average, snapped to a standard rate', () => {
    expect(outputFrameRate(rates(30, 29.6))).toBe(29.97);
    expect(outputFrameRate(rates(25, 10.638))).toBe(10.638);
  });

  it('caps a source faster than 60 fps, or with a millisecond time base, at 60', () => {
    expect(outputFrameRate(rates(120, 120))).toBe(60);
    expect(outputFrameRate(rates(1000, 59.5))).toBe(59.94);
  });

  it('uses 30 fps when the source does not say', () => {
    expect(outputFrameRate(rates(undefined, undefined))).toBe(30);
  });
});

describe('classifyFfmpegFailure', () => {
  it('blames the input for decoding errors of a truncated or corrupt file', () => {
    expect(classifyFfmpegFailure(['[h264 @ 0x55] Invalid NAL unit size (3050 > 536).', 'Conversion failed!'])).toBe('input');
    expect(classifyFfmpegFailure(['[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55] stream 0, offset 0x5d9: partial file'])).toBe('input');
  });

  it('blames storage when reading the source over HTTP failed for good', () => {
    expect(classifyFfmpegFailure(['[https @ 0x55] HTTP error 503 Service Unavailable', 'Conversion failed!'])).toBe('storage');
    expect(classifyFfmpegFailure(['[tcp @ 0x55] Connection reset by peer'])).toBe('storage');
  });

  it('blames the encoder for anything else', () => {
    expect(classifyFfmpegFailure(['[libx264 @ 0x55] malloc of size 8294400 failed', 'Conversion failed!'])).toBe('encoder');
  });
});

describe('truncationOf', () => {
  it('reports an output clearly shorter than the duration the source declares', () => {
    expect(truncationOf(4, 2.04)).toBe('The uploaded video is truncated: it holds 0:02 of the 0:04 it declares');
  });

  it('tolerates streams of slightly unequal length', () => {
    expect(truncationOf(10, 9.5)).toBeUndefined();
    expect(truncationOf(100, 95)).toBeUndefined();
    expect(truncationOf(undefined, 3)).toBeUndefined();
  });
});

describe('estimateFargateCost', () => {
  it('bills vCPU and memory per second at on-demand prices', () => {
    expect(estimateFargateCost({ vcpu: 2, memoryGb: 4, seconds: 3600 })).toEqual({
      estimated_usd: 0.09874,
      vcpu: 2,
      memory_gb: 4,
      billed_seconds: 3600,
    });
  });

  it('bills at least a minute, rounding seconds up', () => {
    expect(estimateFargateCost({ vcpu: 1, memoryGb: 2, seconds: 5 }).billed_seconds).toBe(60);
    expect(estimateFargateCost({ vcpu: 1, memoryGb: 2, seconds: 90.2 }).billed_seconds).toBe(91);
  });
});
