/**
 * Whether an interlaced-flagged source really moves field by field. Video shot interlaced (1080i50) has a
 * new instant in every field and is deinterlaced at its field rate; film carried as interlaced (25PsF: both
 * fields of a frame from the same instant) is deinterlaced at its frame rate (25p), each picture once.
 * ffmpeg's idet filter tells them apart on a sample of frames: it finds the first combed, the second
 * progressive.
 */
import { superviseProcess } from './process-supervision.ts';

/** Frames idet looks at: about two seconds, read once more from the start of the source. */
const SAMPLE_FRAMES = 50;

export interface FieldMotionOptions {
  ffmpegPath: string;
  /** Options for reading the input (reconnects, the If-Match pin), before it. */
  inputOptions: string[];
  /** `-map` of the video stream the encode uses ("0:1"). */
  streamMap: string;
  timeoutMs: number;
  signal: AbortSignal;
}

/**
 * 'fields' when the sample is mostly combed, 'frames' when it is mostly progressive, undefined when idet
 * could not say (it failed, timed out or saw too few frames): the caller then assumes field motion.
 */
export async function detectFieldMotion(location: string, options: FieldMotionOptions): Promise<'fields' | 'frames' | undefined> {
  let summary = '';
  const exit = await superviseProcess(
    options.ffmpegPath,
    [
      ...['-hide_banner', '-nostdin', ...options.inputOptions, '-i', location, '-map', options.streamMap],
      ...['-frames:v', String(SAMPLE_FRAMES), '-vf', 'idet', '-an', '-f', 'null', '-'],
    ],
    {
      name: 'ffmpeg',
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      onStderrLine: (line) => {
        if (line.includes('Multi frame detection:')) summary = line;
      },
    },
  ).exited;
  if (exit.code !== 0) return undefined;
  return parseIdetSummary(summary);
}

/** "[Parsed_idet_0 @ …] Multi frame detection: TFF: 48 BFF: 0 Progressive: 2 Undetermined: 0" */
export function parseIdetSummary(line: string): 'fields' | 'frames' | undefined {
  const match = /TFF:\s*(\d+)\s+BFF:\s*(\d+)\s+Progressive:\s*(\d+)/.exec(line);
  if (!match) return undefined;
  const interlaced = Number(match[1]) + Number(match[2]);
  const progressive = Number(match[3]);
  if (interlaced + progressive < 10) return undefined;
  return progressive > interlaced ? 'frames' : 'fields';
}
