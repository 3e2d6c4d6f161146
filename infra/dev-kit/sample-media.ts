import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Synthetic media for the demo, tests and benchmark, made with ffmpeg's own generators so nothing has to
 * be downloaded: a moving test pattern with a tone, at any size and length.
 */
export async function makeSampleClip(
  path: string,
  options: { seconds: number; width: number; height: number; fps?: number; audio?: boolean },
): Promise<void> {
  const { seconds, width, height, fps = 30, audio = true } = options;
  await run(
    'ffmpeg',
    [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`,
      ...(audio ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`] : []),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18', '-pix_fmt', 'yuv420p',
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
  const time = (seconds: number) => {
    const ms = Math.round(seconds * 1000);
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)},${pad(ms % 1000, 3)}`;
  };
  const text = cues.map((cue, i) => `${i + 1}\n${time(cue.startSeconds)} --> ${time(cue.endSeconds)}\n${cue.text}\n`).join('\n');
  await writeFile(path, text, 'utf8');
}
