import { describe, expect, it } from 'vitest';
import {
  buildTranscodeArgs,
  displayDimensions,
  escapeFilterValue,
  fitWithinBox,
  outputFrameRate,
  pinnedSourceOptions,
  type TranscodeArgsInput,
} from '../../containers/ffmpeg/src/ffmpeg-command.ts';
import { describeAudioTrack, planAudio } from '../../containers/ffmpeg/src/audio-plan.ts';
import type { ProbedAudioStream, ProbedVideoStream } from '../../containers/ffmpeg/src/probe.ts';
import { RESOLUTION_PRESETS } from '../../functions/core/video.ts';

const box720p = RESOLUTION_PRESETS['720p'];

const jobArgs: TranscodeArgsInput = {
  inputPath: '/work/job/source.mp4',
  outputPath: '/work/job/output.mp4',
  subtitlesPath: '/work/job/burn-in.ass',
  fontsDir: '/usr/share/fonts/truetype/dejavu',
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

  it('scales before burning in the subtitles with the configured fonts and libass\' complex shaping', () => {
    const filter = valueAfter(buildTranscodeArgs(jobArgs), '-vf');
    expect(filter).toBe(
      "scale=1280:720,setsar=1,ass=filename=\\'/work/job/burn-in.ass\\'" +
        ":fontsdir=\\'/usr/share/fonts/truetype/dejavu\\':shaping=complex",
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

  it('turns a variable rate into the standard rate near its average, else its base rate, never a raw average', () => {
    expect(outputFrameRate(rates(30, 29.6))).toBe(29.97);
    expect(outputFrameRate(rates(25, 10.638))).toBe(25);
    // 15 fps then 30 fps: the base rate, so no 30-fps frame is dropped.
    expect(outputFrameRate(rates(30, 22.253))).toBe(30);
    // A millisecond time base and an average far from any standard rate: the nearest standard rate from 24 up.
    expect(outputFrameRate(rates(1000, 22.253))).toBe(24);
  });

  it('keeps 23.976 and 60 fps as they are', () => {
    expect(outputFrameRate(rates(24000 / 1001, 24000 / 1001))).toBeUndefined();
    expect(outputFrameRate(rates(60, 60))).toBeUndefined();
  });

  it('puts a floor under sparse timestamps and a standard rate on absurd ones: never 0.001, never 0', () => {
    expect(outputFrameRate(rates(1000, 0.001))).toBe(24);
    expect(outputFrameRate(rates(0.001, 0.001))).toBe(24);
    expect(outputFrameRate(rates(90000, 90000))).toBe(60);
    expect(outputFrameRate(rates(undefined, 0.0002))).toBe(24);
  });

  it('doubles an interlaced source up to 30 frames/s to its field rate (1080i50 becomes 50p)', () => {
    expect(outputFrameRate({ ...rates(25, 25), fieldOrder: 'tt' })).toBe(50);
    expect(outputFrameRate({ ...rates(30000 / 1001, 30000 / 1001), fieldOrder: 'bb' })).toBe(59.94);
    expect(outputFrameRate({ ...rates(25, 25), fieldOrder: 'progressive' })).toBeUndefined();
    expect(outputFrameRate({ ...rates(50, 50), fieldOrder: 'tt' })).toBeUndefined();
  });

  it('keeps the frame rate of film carried as fields (1080i25 film becomes 25p)', () => {
    expect(outputFrameRate({ ...rates(25, 25), fieldOrder: 'tt', fieldMotion: 'frames' })).toBeUndefined();
    expect(outputFrameRate({ ...rates(25, 25), fieldOrder: 'tt', fieldMotion: 'fields' })).toBe(50);
  });

  it('caps a source faster than 60 fps, or with a millisecond time base, at 60', () => {
    expect(outputFrameRate(rates(120, 120))).toBe(60);
    expect(outputFrameRate(rates(1000, 59.5))).toBe(59.94);
  });

  it('uses 30 fps when the source does not say', () => {
    expect(outputFrameRate(rates(undefined, undefined))).toBe(30);
  });
});


describe('pinnedSourceOptions', () => {
  it('pins every read of a remote source to the claimed ETag with an If-Match header, quoted as HTTP wants it', () => {
    expect(pinnedSourceOptions('https://media.s3.amazonaws.com/uploads/v/source.mp4?X-Amz-Signature=x', 'abc-2')).toEqual([
      '-headers',
      'If-Match: "abc-2"\r\n',
    ]);
  });

  it('adds nothing for a local file, which no one can write over mid-read', () => {
    expect(pinnedSourceOptions('/work/source.mp4', 'abc')).toEqual([]);
  });

  it('puts the pin before the input in the encode command', () => {
    const args = buildTranscodeArgs({ ...jobArgs, inputPath: 'https://media/x.mp4', sourceEtag: 'abc' });
    expect(args.indexOf('-headers')).toBeLessThan(args.indexOf('-i'));
    expect(args[args.indexOf('-headers') + 1]).toBe('If-Match: "abc"\r\n');
  });
});

describe('video decisions from the probed stream', () => {
  const stream = (overrides: Partial<ProbedVideoStream> = {}): ProbedVideoStream => ({
    width: 640, height: 480, rotation: 0, sampleAspectRatio: 1, pixFmt: 'yuv420p', codec: 'h264',
    frameRate: { base: 25, average: 25 }, index: 0, fieldOrder: 'progressive', color: {}, ...overrides,
  });
  const filterOf = (args: string[]) => args[args.indexOf('-vf') + 1] ?? '';

  it('maps the real video stream by its index, past a cover-art still', () => {
    const args = buildTranscodeArgs({ ...jobArgs, video: stream({ index: 2 }) });
    expect(args[args.indexOf('-map') + 1]).toBe('0:2');
  });

  it('deinterlaces an interlaced source with bwdif, field by field, before scaling', () => {
    const filter = filterOf(buildTranscodeArgs({ ...jobArgs, video: stream({ fieldOrder: 'tt' }) }));
    expect(filter).toMatch(/^bwdif=mode=send_field:deint=all,scale=/);
    expect(filterOf(buildTranscodeArgs({ ...jobArgs, video: stream() }))).not.toContain('bwdif');
    expect(filterOf(buildTranscodeArgs({ ...jobArgs, video: stream({ fieldOrder: 'tt', fieldMotion: 'frames' }) }))).toMatch(/^bwdif=mode=send_frame:deint=all,/);
  });

  it('converts full range to limited and tags the output limited, keeping known colour tags', () => {
    const args = buildTranscodeArgs({ ...jobArgs, video: stream({ color: { range: 'pc', space: 'bt709', primaries: 'bt709', transfer: 'bt709' } }) });
    expect(filterOf(args)).toContain(`scale=${jobArgs.width}:${jobArgs.height}:out_range=tv`);
    expect(args.join(' ')).toContain('-color_range tv -color_primaries bt709 -color_trc bt709 -colorspace bt709');
    expect(filterOf(buildTranscodeArgs({ ...jobArgs, video: stream({ pixFmt: 'yuvj420p' }) }))).toContain('out_range=tv');
    expect(buildTranscodeArgs({ ...jobArgs, video: stream({ color: { space: 'gbr' } }) })).not.toContain('-colorspace');
    // Untagged full range: the matrix players assume for the size, so the range flag is written at all.
    expect(buildTranscodeArgs({ ...jobArgs, video: stream({ color: { range: 'pc' } }) }).join(' ')).toContain('-color_range tv -colorspace smpte170m');
  });

  it('cuts a retimed output at the source duration, and leaves a source timing as it is alone', () => {
    expect(buildTranscodeArgs({ ...jobArgs, frameRate: 24, durationSeconds: 4.04 }).join(' ')).toContain('-r 24 -t 4.040');
    expect(buildTranscodeArgs({ ...jobArgs, durationSeconds: 4.04 })).not.toContain('-t');
  });

  it('crops an odd-sized source by a pixel instead of rescaling it', () => {
    const filter = filterOf(buildTranscodeArgs({ ...jobArgs, width: 320, height: 240, video: stream({ width: 321, height: 241 }) }));
    expect(filter).toMatch(/^crop=320:240:0:0,scale=320:240/);
    // Fitted into a smaller box, it is scaled as before.
    expect(filterOf(buildTranscodeArgs({ ...jobArgs, width: 160, height: 120, video: stream({ width: 321, height: 241 }) }))).not.toContain('crop');
  });
});

describe('planAudio', () => {
  const track = (overrides: Partial<ProbedAudioStream>): ProbedAudioStream => ({
    index: 1, codec: 'mp3', channels: 2, language: undefined, isDefault: false, bitRate: 192_000, sampleRate: 48_000, ...overrides,
  });

  it('keeps the default-flagged track, else the first, and lists the others as dropped', () => {
    const eng = track({ index: 1, language: 'eng' });
    const fre = track({ index: 2, language: 'fre', isDefault: true });
    expect(planAudio([eng, fre])).toMatchObject({ kept: fre, dropped: [eng] });
    expect(planAudio([track({ index: 1 }), track({ index: 2 })])?.kept.index).toBe(1);
    expect(planAudio([])).toBeUndefined();
    expect(describeAudioTrack(fre, [eng, fre])).toBe('track 2 (fre, 2 ch, default)');
  });

  it('gives stereo 128k and 5.1 384k, and maps the kept track', () => {
    expect(planAudio([track({ channels: 2 })])?.bitsPerSecond).toBe(128_000);
    expect(planAudio([track({ channels: 6 })])?.bitsPerSecond).toBe(384_000);
    const args = buildTranscodeArgs({ ...jobArgs, audio: planAudio([track({ index: 3, channels: 6 })]) });
    expect(args.join(' ')).toContain('-map 0:3');
    expect(args.join(' ')).toContain('-c:a aac -b:a 384k');
  });

  it('copies AAC that already fits the output instead of re-encoding it', () => {
    const fitting = planAudio([track({ codec: 'aac', bitRate: 96_000 })]);
    expect(fitting?.copy).toBe(true);
    expect(buildTranscodeArgs({ ...jobArgs, audio: fitting }).join(' ')).toContain('-c:a copy');
    expect(planAudio([track({ codec: 'aac', bitRate: 320_000 })])?.copy).toBe(false);
    expect(planAudio([track({ codec: 'aac', bitRate: undefined })])?.copy).toBe(false);
  });
});
