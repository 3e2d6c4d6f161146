import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerDeps } from '../../containers/ffmpeg/src/job.ts';
import { formatSrt, parseSubtitles } from '../../functions/core/subtitles.ts';
import { arrangeCloud, reportedFailure, reportedOutput, runJob, uploaded } from '../support/transcode-job.ts';

/**
 * Every script Whisper writes, burned by the worker with the real ffmpeg/libass and the fonts .ci/run
 * installs, and the rendering measured: each cue is burned twice, once as written and once with its code
 * points in reverse order. Real glyphs make the two pictures differ; tofu boxes (no font for the script)
 * are all alike, so the two would be identical. One cue per script, 0.4 s each, on a small black clip.
 *
 * The scripts go through the worker a few at a time: libass gives a style at most 10 faces (ASS_FONT_MAX_FACES,
 * the style's own font plus 9 fallbacks), and once they are used it draws every further script as boxes,
 * without a log line (measured: all 26 scripts in one file → Sinhala onwards are tofu). A real job carries
 * one language, which needs one or two fallbacks.
 */
const CORPUS: { script: string; text: string }[] = [
  { script: 'Latin', text: 'Where is the station?' },
  { script: 'Greek', text: 'Καλημέρα κόσμε' },
  { script: 'Cyrillic', text: 'Добрый вечер' },
  { script: 'Arabic', text: 'مرحبا بالعالم' },
  { script: 'Hebrew', text: 'שלום עולם' },
  { script: 'Devanagari', text: 'नमस्ते दुनिया' },
  { script: 'Bengali', text: 'আমার সোনার বাংলা' },
  { script: 'Tamil', text: 'வணக்கம் உலகம்' },
  { script: 'Telugu', text: 'నమస్కారం ప్రపంచం' },
  { script: 'Gujarati', text: 'નમસ્તે દુનિયા' },
  { script: 'Gurmukhi', text: 'ਸਤਿ ਸ੍ਰੀ ਅਕਾਲ' },
  { script: 'Kannada', text: 'ನಮಸ್ಕಾರ ಜಗತ್ತು' },
  { script: 'Malayalam', text: 'നമസ്കാരം ലോകം' },
  { script: 'Sinhala', text: 'ආයුබෝවන් ලෝකය' },
  { script: 'Thai', text: 'สวัสดีชาวโลก' },
  { script: 'Lao', text: 'ສະບາຍດີໂລກ' },
  { script: 'Khmer', text: 'សួស្តីពិភពលោក' },
  { script: 'Myanmar', text: 'မင်္ဂလာပါ ကမ္ဘာ' },
  { script: 'Georgian', text: 'გამარჯობა მსოფლიო' },
  { script: 'Armenian', text: 'Բարեւ աշխարհ' },
  { script: 'Ethiopic', text: 'ሰላም ለዓለም' },
  { script: 'Chinese (Simplified)', text: '你好，世界。我们走吧' },
  { script: 'Chinese (Traditional)', text: '請問車站在哪裡' },
  { script: 'Japanese', text: 'こんにちは、カタカナ漢字' },
  { script: 'Korean', text: '안녕하세요 세계' },
  { script: 'Emoji', text: '😀 👍 🎉 ❤ ☀' },
];

const WIDTH = 480;
const HEIGHT = 270;
const FPS = 10;
const CUE_MS = 400;
const FRAME_BYTES = WIDTH * HEIGHT;
const SCRIPTS_PER_JOB = 4;
/** The clip's length, in cues: enough for the longest job below (the shaping pairs). */
const CUES_PER_CLIP = 8;
const BATCHES = Array.from({ length: Math.ceil(CORPUS.length / SCRIPTS_PER_JOB) }, (_, batch) =>
  CORPUS.slice(batch * SCRIPTS_PER_JOB, (batch + 1) * SCRIPTS_PER_JOB));

const fixtures = mkdtempSync(join(tmpdir(), 'vidp-subtitle-scripts-'));
const clip = join(fixtures, 'clip.mp4');

function ffmpeg(...args: string[]): Buffer {
  return execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { maxBuffer: 256 * 1024 * 1024 });
}

function srtTime(ms: number): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)},${pad(ms % 1000, 3)}`;
}

function srt(texts: string[]): string {
  return texts.map((text, index) => `${index + 1}\n${srtTime(index * CUE_MS)} --> ${srtTime((index + 1) * CUE_MS)}\n${text}\n`).join('\n');
}

/** Runs the worker on `clip` with these cues; returns the uploaded MP4's frames (grey) and the record's warnings. */
async function burn(name: string, texts: string[] | { prepared: string }, job: Parameters<typeof runJob>[2] = {}): Promise<{ frames: Buffer; warnings: string[] }> {
  const subtitles = join(fixtures, `${name}.srt`);
  writeFileSync(subtitles, Array.isArray(texts) ? srt(texts) : texts.prepared);
  arrangeCloud(subtitles);
  const warnings: string[] = [];
  const videos: WorkerDeps['videos'] = {
    updateProgress: async () => undefined as never,
    addWarnings: async (_videoId: string, added: string[]) => { warnings.push(...added); return undefined as never; },
    recordTranscodeTask: async () => undefined as never,
    recordAudioTracks: async () => undefined as never,
    recordSegmentPlan: async () => undefined as never,
    recordPartTask: async () => undefined as never,
    updateSegmentProgress: async () => undefined as never,
  };
  await runJob(fixtures, clip, { ...job, deps: { videos, ...job.deps } });
  const body = uploaded('videos/video-1/video.mp4')?.body as Uint8Array | undefined;
  if (!body) return { frames: Buffer.alloc(0), warnings };
  const output = join(fixtures, `${name}.mp4`);
  writeFileSync(output, body);
  const frames = ffmpeg('-i', output, '-vf', `fps=${FPS},format=gray`, '-f', 'rawvideo', '-');
  return { frames, warnings };
}

/** The frame in the middle of cue `index`. */
function frameOf(frames: Buffer, index: number): Buffer {
  const frame = Math.floor(((index + 0.5) * CUE_MS * FPS) / 1000);
  return frames.subarray(frame * FRAME_BYTES, (frame + 1) * FRAME_BYTES);
}

const bright = (frame: Buffer) => frame.reduce((count, value) => count + (value > 128 ? 1 : 0), 0);
const differing = (a: Buffer, b: Buffer) => a.reduce((count, value, i) => count + (Math.abs(value - b[i]!) > 64 ? 1 : 0), 0);

beforeAll(() => {
  const seconds = (CUES_PER_CLIP * CUE_MS) / 1000 + 0.2;
  ffmpeg('-f', 'lavfi', '-i', `color=c=black:size=${WIDTH}x${HEIGHT}:rate=${FPS}:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip);
});

afterAll(() => rmSync(fixtures, { recursive: true, force: true }));

describe('subtitles in every script Whisper writes, burned by the real ffmpeg', () => {
  const runs: { forward: { frames: Buffer; warnings: string[] }; reversed: { frames: Buffer; warnings: string[] }; cueCount: number }[] = [];
  beforeAll(async () => {
    for (const [batch, scripts] of BATCHES.entries()) {
      const forward = await burn(`forward-${batch}`, scripts.map(({ text }) => text));
      const cueCount = reportedOutput().cue_count;
      const reversed = await burn(`reversed-${batch}`, scripts.map(({ text }) => [...text].reverse().join('')));
      runs.push({ forward, reversed, cueCount });
    }
  }, 120_000);

  it('saves every cue and reports no character without a glyph', () => {
    expect(runs.map((run) => run.cueCount)).toEqual(BATCHES.map((scripts) => scripts.length));
    expect(runs.flatMap((run) => [...run.forward.warnings, ...run.reversed.warnings]).filter((warning) => /glyph/.test(warning))).toEqual([]);
  });

  it.each(CORPUS.map(({ script }, index) => [script, index] as const))('draws %s with real glyphs: the same code points in another order look different', (_script, index) => {
    const run = runs[Math.floor(index / SCRIPTS_PER_JOB)]!;
    const a = frameOf(run.forward.frames, index % SCRIPTS_PER_JOB);
    const b = frameOf(run.reversed.frames, index % SCRIPTS_PER_JOB);
    expect(bright(a)).toBeGreaterThan(50);
    expect(differing(a, b)).toBeGreaterThan(50);
  });
});

describe('a character no installed font has', () => {
  // U+F0041 is in Supplementary Private Use Area-A: no Debian font draws it.
  const texts = ['Plain text first', 'A box here: \u{F0041} and there: \u{F0041}\u{F0042}'];

  it('burns anyway and says so on the record: how many, their script, the first cue', async () => {
    const { warnings } = await burn('missing-warn', texts);
    expect(reportedOutput().cue_count).toBe(2);
    const warning = warnings.find((candidate) => /no glyph/.test(candidate));
    expect(warning).toMatch(/^2 distinct subtitle characters \(3 in all\) have no glyph/);
    expect(warning).toContain('Unknown 2');
    expect(warning).toContain('#2 at 00:00:00.400 "A box here');
    expect(warning).toContain('U+F0041 U+F0042');
  }, 60_000);

  it('fails the job as missing_glyphs when it asks for that (missing_glyphs: "fail"), before encoding, and uploads nothing', async () => {
    await burn('missing-fail', texts, { job: { missingGlyphs: 'fail' } });
    const failure = reportedFailure();
    expect(failure.error).toBe('MissingGlyphsError');
    expect(failure.cause.code).toBe('missing_glyphs');
    expect(failure.cause.message).toMatch(/^2 distinct subtitle characters/);
    expect(uploaded('videos/video-1/video.mp4')).toBeUndefined();
  }, 60_000);
});

describe('shaping, measured', () => {
  // Each pair holds the same letters; the second is written so that a shaper must not join, combine or
  // reorder them (ZWNJ between letters, a left-to-right override). Shaped text makes the two pictures differ;
  // a renderer that only maps characters to glyphs would draw both alike.
  const ZWNJ = '\u200c';
  const PAIRS = [
    { shaping: 'Arabic joining', shaped: 'مرحبا', unshaped: [...'مرحبا'].join(ZWNJ) },
    { shaping: 'a Devanagari conjunct (क्ष)', shaped: 'क्ष', unshaped: `क्${ZWNJ}ष` },
    { shaping: 'Devanagari conjuncts in a word (नमस्ते)', shaped: 'नमस्ते', unshaped: `नमस्${ZWNJ}ते` },
    { shaping: 'right-to-left order (Hebrew)', shaped: 'שלום עולם', unshaped: '\u202dשלום עולם\u202c' },
  ];
  let frames: Buffer;
  beforeAll(async () => {
    ({ frames } = await burn('shaping', PAIRS.flatMap((pair) => [pair.shaped, pair.unshaped])));
  }, 60_000);

  it.each(PAIRS.map((pair, index) => [pair.shaping, index] as const))('%s is applied', (_shaping, index) => {
    const shaped = frameOf(frames, 2 * index);
    expect(bright(shaped)).toBeGreaterThan(20);
    expect(differing(shaped, frameOf(frames, 2 * index + 1))).toBeGreaterThan(20);
  });
});

describe('the face per language', () => {
  // The same code points, drawn differently in Simplified and Traditional Chinese and in Japanese (picked by
  // measuring: each pair of faces differs in about 100 pixels of these eight at this size).
  const HAN = ['述令化遍返骨次外'];
  const subtitleArea = (frames: Buffer) => frameOf(frames, 0).subarray(Math.floor(HEIGHT * 0.6) * WIDTH);

  it('draws Han characters in the forms of the language the job names: zh-Hans, zh-Hant and ja all differ', async () => {
    const simplified = subtitleArea((await burn('han-zh-hans', HAN, { job: { subtitleLanguage: 'zh-Hans' } })).frames);
    const traditional = subtitleArea((await burn('han-zh-hant', HAN, { job: { subtitleLanguage: 'zh-Hant' } })).frames);
    const japanese = subtitleArea((await burn('han-ja', HAN, { job: { subtitleLanguage: 'ja' } })).frames);
    expect(bright(simplified)).toBeGreaterThan(60);
    expect(differing(simplified, japanese)).toBeGreaterThan(40);
    expect(differing(traditional, japanese)).toBeGreaterThan(40);
    expect(differing(simplified, traditional)).toBeGreaterThan(40);
  }, 60_000);

  it('without a language, fontconfig\'s fallback draws them in the Japanese forms', async () => {
    const unnamed = subtitleArea((await burn('han-und', HAN)).frames);
    const japanese = subtitleArea((await burn('han-ja-again', HAN, { job: { subtitleLanguage: 'ja' } })).frames);
    expect(bright(unnamed)).toBeGreaterThan(60);
    expect(differing(unnamed, japanese)).toBe(0);
  }, 60_000);
});

describe('WebVTT cue placement', () => {
  /** The first and last rows holding subtitle pixels in the middle of cue `index`, as shares of the height. */
  function rowsLit(frames: Buffer, index: number): { top: number; bottom: number } {
    const frame = frameOf(frames, index);
    const lit: number[] = [];
    for (let y = 0; y < HEIGHT; y += 1) if (frame.subarray(y * WIDTH, (y + 1) * WIDTH).some((value) => value > 128)) lit.push(y);
    return { top: (lit[0] ?? NaN) / HEIGHT, bottom: (lit.at(-1) ?? NaN) / HEIGHT };
  }

  it('burns a cue with line:10% at the top of the picture, line:50% in the middle, and one without settings at the bottom', async () => {
    const vtt = `WEBVTT\n\n00:00:00.000 --> 00:00:00.400 line:10%\nUp here\n\n00:00:00.400 --> 00:00:00.800 line:50%,center\nIn the middle\n\n` +
      '00:00:00.800 --> 00:00:01.200\nDown here\n';
    const { frames } = await burn('placement', { prepared: formatSrt(parseSubtitles(new TextEncoder().encode(vtt)).cues) });
    expect(rowsLit(frames, 0).bottom).toBeLessThan(0.25);
    expect(rowsLit(frames, 1).top).toBeGreaterThan(0.35);
    expect(rowsLit(frames, 1).bottom).toBeLessThan(0.65);
    expect(rowsLit(frames, 2).top).toBeGreaterThan(0.75);
  }, 60_000);
});

describe('subtitle layout on portrait video', () => {
  const LONG_CUE = 'A long subtitle line as speech recognition writes them, which has to wrap on a narrow frame';

  /** Rows holding subtitle pixels, as a share of the frame's height. */
  async function coveredShare(width: number, height: number): Promise<number> {
    const source = join(fixtures, `clip-${width}x${height}.mp4`);
    ffmpeg('-f', 'lavfi', '-i', `color=c=black:size=${width}x${height}:rate=${FPS}:duration=0.5`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', source);
    const subtitles = join(fixtures, `layout-${width}x${height}.srt`);
    writeFileSync(subtitles, srt([LONG_CUE]));
    arrangeCloud(subtitles);
    await runJob(fixtures, source, { job: { box: { width: 1280, height: 720 } } });
    const output = join(fixtures, `layout-${width}x${height}.mp4`);
    writeFileSync(output, uploaded('videos/video-1/video.mp4')?.body as Uint8Array);
    const frame = ffmpeg('-i', output, '-frames:v', '1', '-vf', 'format=gray', '-f', 'rawvideo', '-');
    let rows = 0;
    for (let y = 0; y < height; y += 1) {
      if (frame.subarray(y * width, (y + 1) * width).some((value) => value > 128)) rows += 1;
    }
    return rows / height;
  }

  it('sizes the text from the shorter side: a long cue covers about as little of a 360x640 frame as of a 640x360 one', async () => {
    const landscape = await coveredShare(640, 360);
    const portrait = await coveredShare(360, 640);
    expect(landscape).toBeGreaterThan(0.03);
    expect(portrait).toBeGreaterThan(0.02);
    expect(portrait).toBeLessThan(landscape);
  }, 60_000);
});
