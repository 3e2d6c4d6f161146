import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { DEFAULT_SUBTITLE_FONT_SIZE, formatAssScript, type BurnInStyle } from '../../containers/ffmpeg/src/ass-script.ts';
import { formatSrt, type Cue } from '../../functions/core/subtitles.ts';

const run = promisify(execFile);

/**
 * Synthetic media for the demo, tests and benchmark, made with ffmpeg's own generators so nothing has to
 * be downloaded: a moving test pattern with a tone, at any size and length.
 */
export async function makeSampleClip(
  path: string,
  options: { seconds: number; width: number; height: number; fps?: number; audio?: boolean; keyframeEverySeconds?: number },
): Promise<void> {
  const { seconds, width, height, fps = 30, audio = true, keyframeEverySeconds } = options;
  await run(
    'ffmpeg',
    [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`,
      ...(audio ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`] : []),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18', '-pix_fmt', 'yuv420p',
      // Where a segmented encode may cut (segment-plan.ts): x264's default is one keyframe every 250 frames.
      ...(keyframeEverySeconds === undefined ? [] : ['-g', String(Math.round(fps * keyframeEverySeconds))]),
      ...(audio ? ['-c:a', 'aac', '-b:a', '128k'] : []),
      '-movflags', '+faststart',
      path,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
}

export interface SampleCue {
  startSeconds: number;
  endSeconds: number;
  text: string;
}

/** Cues with accented and non-Latin-1 characters: what a font or encoding mistake would mangle first. */
export const SAMPLE_LINES = [
  'Café crème à l’hôtel — déjà vu',
  '¿Qué tal, señor Ñandú? ¡Jalapeño!',
  'Grüße aus München: Übermäßig schön',
  'Ação, coração e informação',
  'Zażółć gęślą jaźń · Příliš žluťoučký kůň',
];

/** Cues of `cueSeconds`, one every `everySeconds`, cycling through SAMPLE_LINES, until `seconds`. */
export function sampleCues(seconds: number, cueSeconds = 3, everySeconds = 4): SampleCue[] {
  const cues: SampleCue[] = [];
  for (let start = 1, index = 0; start + cueSeconds <= seconds; start += everySeconds, index += 1) {
    cues.push({ startSeconds: start, endSeconds: start + cueSeconds, text: SAMPLE_LINES[index % SAMPLE_LINES.length]! });
  }
  return cues;
}

export async function writeSrt(path: string, cues: readonly SampleCue[]): Promise<void> {
  await writeFile(path, formatSrt(cues.map(asCue)), 'utf8');
}

/**
 * The burn-in script the worker writes for these cues (containers/ffmpeg/src/ass-script.ts): what its ffmpeg
 * command reads, for the tests and the bench that run that command themselves.
 */
export async function writeBurnInScript(path: string, cues: readonly SampleCue[], style: Partial<BurnInStyle> = {}): Promise<void> {
  await writeFile(path, formatAssScript(cues.map(asCue), { fontName: 'DejaVu Sans', fontSize: DEFAULT_SUBTITLE_FONT_SIZE, ...style }), 'utf8');
}

function asCue(cue: SampleCue): Cue {
  return { startMs: Math.round(cue.startSeconds * 1000), endMs: Math.round(cue.endSeconds * 1000), text: cue.text };
}

/** What a sync clip holds, for the measurements to compare against (media-inspect.ts). Times are counted in frames. */
export interface SyncClip {
  frames: number;
  width: number;
  height: number;
  /** Frames per second as a ratio: 30 / 1, or NTSC's 30000 / 1001, whose frame times no decimal writes exactly. */
  rate: { frames: number; perSeconds: number };
  /** A white frame and a beep every `flashEveryFrames`, the first on frame `firstFlashFrame`. */
  flashEveryFrames: number;
  firstFlashFrame: number;
  /** A source keyframe every this many frames: where a segmented encode may cut. */
  keyframeEveryFrames: number;
  bed: { frequency: number; amplitude: number };
  beep: { frequency: number; amplitude: number; seconds: number };
}

/**
 * 20 s at 30 fps with a keyframe every second and a flash every 2 s on the odd seconds: cuts near multiples of
 * 4 s fall on keyframes between two flashes, where the audio is the bed alone (a click there has nothing to
 * hide in), and every 4 s segment holds two flashes to time it by.
 */
export const SYNC_CLIP: SyncClip = {
  frames: 600,
  width: 640,
  height: 360,
  rate: { frames: 30, perSeconds: 1 },
  flashEveryFrames: 60,
  firstFlashFrame: 30,
  keyframeEveryFrames: 30,
  bed: { frequency: 440, amplitude: 0.25 },
  beep: { frequency: 1000, amplitude: 0.25, seconds: 0.1 },
};

/**
 * The same at NTSC's 29.97 fps: a keyframe every 1.001 s and a flash every 2.002 s, so the planner's cuts (the
 * keyframe at or before each multiple of 4 s) fall on flashes, and every frame time is a repeating decimal that
 * a segment's start, length or offset written in milliseconds would round.
 */
export const SYNC_CLIP_NTSC: SyncClip = { ...SYNC_CLIP, rate: { frames: 30000, perSeconds: 1001 } };

/** When frame `frame` of the clip starts, in seconds. */
export function syncClipTime(clip: SyncClip, frame: number): number {
  return (frame * clip.rate.perSeconds) / clip.rate.frames;
}

/** When the clip's flashes (and beeps) start, in seconds. */
export function syncClipFlashes(clip: SyncClip = SYNC_CLIP): number[] {
  const flashes: number[] = [];
  for (let frame = clip.firstFlashFrame; frame < clip.frames; frame += clip.flashEveryFrames) flashes.push(syncClipTime(clip, frame));
  return flashes;
}

const SYNC_SAMPLE_RATE = 48000;

/**
 * A clip to measure timing on: the moving test pattern with one all-white frame every `flashEveryFrames`,
 * over a continuous tone with a short beep of another frequency starting on the very sample the flash frame
 * starts, keyframes on a fixed grid (no scene-cut keyframes, so the flashes add none). Frames and samples are
 * counted (`n`), not timed, so each flash and each beep lands exactly (the flash period must be a whole number
 * of samples), and both tones start a beep at a zero crossing: the only clicks in the audio are ones the
 * pipeline adds. The sound is stereo AAC at 192 kb/s, above what the worker copies (audio-plan.ts), so it is
 * encoded again, as most uploads' sound is.
 */
export async function makeSyncClip(path: string, clip: SyncClip = SYNC_CLIP): Promise<void> {
  const { frames, width, height, rate, flashEveryFrames, firstFlashFrame, keyframeEveryFrames, bed, beep } = clip;
  const samplesOf = (frame: number) => (frame * SYNC_SAMPLE_RATE * rate.perSeconds) / rate.frames;
  const [beepPeriod, firstBeep] = [samplesOf(flashEveryFrames), samplesOf(firstFlashFrame)];
  if (!Number.isInteger(beepPeriod) || !Number.isInteger(firstBeep)) throw new Error(`A flash every ${flashEveryFrames} frames is not a whole number of samples`);
  const beepSamples = Math.round(beep.seconds * SYNC_SAMPLE_RATE);
  const tone = (frequency: number, amplitude: number) => `${amplitude}*sin(2*PI*${frequency}*n/${SYNC_SAMPLE_RATE})`;
  const sound = `${tone(bed.frequency, bed.amplitude)}+${tone(beep.frequency, beep.amplitude)}*gte(n,${firstBeep})*lt(mod(n-${firstBeep},${beepPeriod}),${beepSamples})`;
  await run(
    'ffmpeg',
    [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i',
      // trim, not -frames:v, ends the picture: -frames:v would end the whole file, the sound a few frames short.
      `testsrc2=size=${width}x${height}:rate=${rate.frames}/${rate.perSeconds},trim=end_frame=${frames},` +
        `drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='gte(n,${firstFlashFrame})*not(mod(n-${firstFlashFrame},${flashEveryFrames}))'`,
      '-f', 'lavfi', '-i', `aevalsrc=exprs='${sound}|${sound}':sample_rate=${SYNC_SAMPLE_RATE}:duration=${syncClipTime(clip, frames)}`,
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p',
      '-g', String(keyframeEveryFrames), '-keyint_min', String(keyframeEveryFrames), '-sc_threshold', '0',
      '-c:a', 'aac', '-b:a', '192k',
      '-movflags', '+faststart',
      path,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
}

/**
 * Cues of about 3 s back to back, each gap between two of them on a half second: every whole second of the
 * clip and the 0.1 s after it (every keyframe of SYNC_CLIP and SYNC_CLIP_NTSC, so wherever a segment is cut)
 * lies inside a cue, 0.3 s or more from its ends.
 */
export function cuesOverEveryKeyframe(seconds: number): SampleCue[] {
  const cues: SampleCue[] = [];
  for (let start = 0.5, index = 0; start < seconds - 0.5; start += 3, index += 1) {
    cues.push({ startSeconds: start, endSeconds: Math.min(start + 2.9, seconds - 0.2), text: SAMPLE_LINES[index % SAMPLE_LINES.length]! });
  }
  return cues;
}
