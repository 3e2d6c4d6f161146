/**
 * A synthetic recorded lecture, for the segments bench: what the long videos vidp receives look like. Mostly
 * static slides of text that change every SLIDE_SECONDS, a small talking-head window that moves all the time
 * (ffmpeg's testsrc2, 384×216 in a corner) and speech-like sound (pink noise, band-passed to the voice's
 * range, in syllables and pauses). Made with ffmpeg's generators at a fast preset (a recording's bit rate,
 * about 2 Mbit/s) and kept in .build/bench-media/, which the other parts' `rm bench-output` leaves alone:
 * the 20-minute clip takes minutes to make and is made once.
 */
import { execFile } from 'node:child_process';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../infra/shared/repository.ts';

const run = promisify(execFile);
const FONTS_DIR = process.env.FONTS_DIR ?? '/usr/share/fonts/truetype/dejavu';
const CACHE = join(REPO_ROOT, '.build', 'bench-media');
/** Bumped when the recipe changes, so that a clip made by an older one is not reused. */
const RECIPE = 1;
const SLIDE_SECONDS = 45;

export const LECTURE_FORMAT = { width: 1920, height: 1080, fps: 30 } as const;

const slide = `floor(t/${SLIDE_SECONDS})`;
// drawtext's expansion (%{eif:…}) makes each slide's numbers its own; from text files, so no filter escaping.
const TITLE = `Lecture 7 — Signals and Systems · slide %{eif:${slide}+1:d}`;
const BODY = [
  `• Definition %{eif:${slide}+1:d}.1 — a linear, time-invariant system`,
  '• Convolution: y(t) = ∫ x(τ) h(t − τ) dτ',
  `• Example %{eif:${slide}*3+2:d}: the impulse response of an RC circuit`,
  '• Fourier transform pairs and their properties',
  `• Homework: problems %{eif:${slide}*4+1:d}–%{eif:${slide}*4+4:d}`,
].join('\n');

function filterGraph(dir: string): string {
  return [
    `[0:v]drawbox=x=0:y=0:w=iw:h=140:color=0x1F3A5F:t=fill,`,
    `drawtext=fontfile=${FONTS_DIR}/DejaVuSans-Bold.ttf:fontsize=60:fontcolor=white:x=80:y=40:textfile=${join(dir, 'title.txt')},`,
    // Each slide sets its text block somewhere else, so a slide change is a change of picture.
    `drawtext=fontfile=${FONTS_DIR}/DejaVuSans.ttf:fontsize=44:fontcolor=0x222222:line_spacing=34:x=120+60*mod(${slide}\\,3):y=250:textfile=${join(dir, 'body.txt')}[slide];`,
    `[1:v]drawbox=x=0:y=0:w=iw:h=ih:color=0x333333:t=4[head];`,
    `[slide][head]overlay=x=W-w-48:y=H-h-48,format=yuv420p[v];`,
    // Syllables about 4 a second, a pause every few seconds.
    `[2:a]bandpass=f=650:width_type=o:w=2.5,volume='0.15+0.85*abs(sin(2*PI*2.2*t))*gt(sin(2*PI*0.23*t)+0.6\\,0)':eval=frame[a]`,
  ].join('\n');
}

/** The lecture clip of `seconds`, made on first use and reused after (the path of the cached file). */
export async function lectureClip(seconds: number): Promise<{ path: string; made: boolean }> {
  const path = join(CACHE, `lecture-${LECTURE_FORMAT.height}p-${seconds}s-r${RECIPE}.mp4`);
  if (await exists(path)) return { path, made: false };
  const work = join(CACHE, `making-${process.pid}`);
  await mkdir(work, { recursive: true });
  try {
    await writeFile(join(work, 'title.txt'), TITLE, 'utf8');
    await writeFile(join(work, 'body.txt'), BODY, 'utf8');
    await writeFile(join(work, 'graph.txt'), filterGraph(work), 'utf8');
    const { width, height, fps } = LECTURE_FORMAT;
    const partial = join(work, 'lecture.mp4');
    await run(
      'nice',
      [
        '-n', '10', 'ffmpeg', '-hide_banner', '-loglevel', 'error', '-y',
        '-f', 'lavfi', '-i', `color=c=0xF7F7F2:size=${width}x${height}:rate=${fps}:duration=${seconds}`,
        '-f', 'lavfi', '-i', `testsrc2=size=384x216:rate=${fps}:duration=${seconds}`,
        '-f', 'lavfi', '-i', `anoisesrc=color=pink:sample_rate=48000:amplitude=0.6:duration=${seconds}`,
        '-filter_complex_script', join(work, 'graph.txt'),
        '-map', '[v]', '-map', '[a]',
        '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18',
        '-c:a', 'aac', '-b:a', '128k', '-ac', '1',
        '-movflags', '+faststart',
        partial,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    // Only a finished clip takes the cached name: an interrupted run leaves nothing that looks reusable.
    await rename(partial, path);
    return { path, made: true };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
