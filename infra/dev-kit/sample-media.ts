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
