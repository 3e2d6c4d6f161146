/**
 * The font guard: a video must not ship without its subtitles. libass never fails the ffmpeg run over
 * fonts — without a usable font ffmpeg exits 0 with a video that simply has no subtitles — so the worker
 * checks the fonts dir before it starts, and reads libass' log lines while ffmpeg runs.
 */
import { readdir } from 'node:fs/promises';
import { WorkerMisconfiguredError } from '../../../functions/core/errors.ts';

/** Files libass can load from a fonts dir (it does not look into subdirectories). */
const FONT_FILE_PATTERN = /\.(ttf|otf|ttc|otc)$/i;

/** Before any download: a worker that cannot draw text must not get as far as encoding. */
export async function ensureFontsAvailable(fontsDir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(fontsDir);
  } catch (error) {
    throw new WorkerMisconfiguredError(`The fonts directory ${fontsDir} cannot be read`, { cause: error });
  }
  if (!entries.some((name) => FONT_FILE_PATTERN.test(name))) {
    throw new WorkerMisconfiguredError(`No font file (.ttf/.otf) in ${fontsDir}: subtitles could not be drawn`);
  }
}

/**
 * What libass logs about fonts, found by experiment (FFmpeg 5.1, libass 0.17):
 *
 * - no font at all for the style (empty fonts dir and an empty fontconfig, or a FontName nothing provides):
 *   `fontselect: failed to find any fallback with glyph 0x0 for font: (DejaVu Sans, 400, 0)`
 *   → nothing is drawn: fatal.
 * - a font is found but lacks some characters (CJK with only DejaVu installed):
 *   `Glyph 0x4E2D not found, selecting one more font for (…)` then
 *   `fontselect: failed to find any fallback with glyph 0x4E2D for font: (…)`
 *   → those characters are drawn as empty boxes (the font's .notdef), the rest as text: reported, not fatal.
 * - `Glyph 0x1F600 not found, selecting one more font` followed by a successful `fontselect: (…) -> …`
 *   and `No usable fontconfig configuration file found, using fallback.` are both harmless on their own.
 * - `Error opening memory font '…'`: a file in the fonts dir that is not a font (others may still work).
 */
const NO_FONT_AT_ALL = /fontselect: failed to find any fallback with glyph 0x0 for font: (.*)$/;
const MISSING_GLYPH = /fontselect: failed to find any fallback with glyph 0x([0-9A-F]+)\b/i;
const UNREADABLE_FONT_FILE = /Error opening memory font '(.*)'/;

export type FontProblem =
  | { kind: 'no_font'; font: string }
  | { kind: 'missing_glyph'; codePoint: string }
  | { kind: 'unreadable_font_file'; file: string };

export function detectFontProblem(stderrLine: string): FontProblem | undefined {
  const noFont = NO_FONT_AT_ALL.exec(stderrLine);
  if (noFont) return { kind: 'no_font', font: noFont[1] ?? '' };
  const missingGlyph = MISSING_GLYPH.exec(stderrLine);
  if (missingGlyph) return { kind: 'missing_glyph', codePoint: `U+${(missingGlyph[1] ?? '').toUpperCase().padStart(4, '0')}` };
  const unreadable = UNREADABLE_FONT_FILE.exec(stderrLine);
  if (unreadable) return { kind: 'unreadable_font_file', file: unreadable[1] ?? '' };
  return undefined;
}
