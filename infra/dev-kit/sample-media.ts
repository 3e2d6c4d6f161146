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

/** What a sync clip holds, for the measurements to compare against (media-inspect.ts). */
export interface SyncClip {
  seconds: number;
  width: number;
  height: number;
  fps: number;
  /** A white frame and a beep every `flashEverySeconds`, the first at `firstFlashSeconds`. */
  flashEverySeconds: number;
  firstFlashSeconds: number;
  /** A source keyframe every this many seconds: where a segmented encode may cut. */
  keyframeEverySeconds: number;
  bed: { frequency: number; amplitude: number };
  beep: { frequency: number; amplitude: number; seconds: number };
}

/**
 * 20 s with a keyframe every second and a flash every 2 s on the odd seconds: cuts near multiples of 4 s fall
 * on keyframes between two flashes, where the audio is the bed alone (a click there has nothing to hide in),
 * and every 4 s segment holds two flashes to time it by.
 */
export const SYNC_CLIP: SyncClip = {
  seconds: 20,
  width: 640,
  height: 360,
  fps: 30,
  flashEverySeconds: 2,
  firstFlashSeconds: 1,
  keyframeEverySeconds: 1,
  bed: { frequency: 440, amplitude: 0.25 },
  beep: { frequency: 1000, amplitude: 0.25, seconds: 0.1 },
};

/** When the clip's flashes (and beeps) start, in seconds. */
export function syncClipFlashes(clip: SyncClip = SYNC_CLIP): number[] {
  const flashes: number[] = [];
  for (let time = clip.firstFlashSeconds; time < clip.seconds; time += clip.flashEverySeconds) flashes.push(time);
  return flashes;
}

/**
 * A clip to measure timing on: the moving test pattern with one all-white frame every `flashEverySeconds`,
 * over a continuous tone with a short beep of another frequency starting on the very sample the flash frame
 * starts, keyframes on a fixed grid (no scene-cut keyframes, so the flashes add none). Frames and samples are
 * counted (`n`), not timed, so each flash and each beep lands exactly, and both tones start a beep at a zero
 * crossing: the only clicks in the audio are ones the pipeline adds. The sound is stereo AAC at 192 kb/s,
 * above what the worker copies (audio-plan.ts), so it is encoded again, as most uploads' sound is.
 */
export async function makeSyncClip(path: string, clip: SyncClip = SYNC_CLIP): Promise<void> {
  const { seconds, width, height, fps, flashEverySeconds, firstFlashSeconds, keyframeEverySeconds, bed, beep } = clip;
  const sampleRate = 48000;
  const [flashPeriod, firstFlash] = [flashEverySeconds * fps, firstFlashSeconds * fps];
  const [beepPeriod, firstBeep] = [flashEverySeconds * sampleRate, firstFlashSeconds * sampleRate];
  const beepSamples = Math.round(beep.seconds * sampleRate);
  const tone = (frequency: number, amplitude: number) => `${amplitude}*sin(2*PI*${frequency}*n/${sampleRate})`;
  const sound = `${tone(bed.frequency, bed.amplitude)}+${tone(beep.frequency, beep.amplitude)}*gte(n,${firstBeep})*lt(mod(n-${firstBeep},${beepPeriod}),${beepSamples})`;
  await run(
    'ffmpeg',
    [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i',
      `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds},` +
        `drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='gte(n,${firstFlash})*not(mod(n-${firstFlash},${flashPeriod}))'`,
      '-f', 'lavfi', '-i', `aevalsrc=exprs='${sound}|${sound}':sample_rate=${sampleRate}:duration=${seconds}`,
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p',
      '-g', String(keyframeEverySeconds * fps), '-keyint_min', String(keyframeEverySeconds * fps), '-sc_threshold', '0',
      '-c:a', 'aac', '-b:a', '192k',
      '-movflags', '+faststart',
      path,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
}

/**
 * Cues of about 3 s back to back, each gap between two of them on a half second: every whole second of the
 * clip (every keyframe of SYNC_CLIP, so wherever a segment is cut) lies inside a cue, 0.4 s or more from its ends.
 */
export function cuesOverEveryKeyframe(seconds: number): SampleCue[] {
  const cues: SampleCue[] = [];
  for (let start = 0.5, index = 0; start < seconds - 0.5; start += 3, index += 1) {
    cues.push({ startSeconds: start, endSeconds: Math.min(start + 2.9, seconds - 0.2), text: SAMPLE_LINES[index % SAMPLE_LINES.length]! });
  }
  return cues;
}
