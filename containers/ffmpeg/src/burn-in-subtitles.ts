/**
 * The cues the encode burns in: the prepared subtitles less those that start after the video ends, and
 * checked against the fonts before a second of encoding (libass would draw boxes and ffmpeg still exit 0).
 */
import { readFile } from 'node:fs/promises';
import { MissingGlyphsError, SubtitlesInvalidError } from '../../../functions/core/errors.ts';
import type { Logger } from '../../../functions/core/log.ts';
import { dropCuesAfter, parseSubtitles, type Cue, type ParsedSubtitles } from '../../../functions/core/subtitles.ts';
import { checkGlyphCoverage, describeMissingGlyphs, readFontCoverage, type FontCoverage, type MissingGlyphsMode } from './glyph-coverage.ts';
import { faceForLanguage, isFontFamilyInstalled } from './language-face.ts';

/** The prepared subtitles, less the cues that start after the video ends. */
export async function subtitlesWithin(file: string, durationSeconds: number | undefined): Promise<{ kept: Cue[]; warnings: string[] }> {
  let parsed: ParsedSubtitles;
  try {
    parsed = parseSubtitles(await readFile(file));
  } catch (error) {
    throw new SubtitlesInvalidError('The prepared subtitles could not be read', { cause: error });
  }
  if (durationSeconds === undefined) return { kept: parsed.cues, warnings: [] };
  const within = dropCuesAfter(parsed, Math.round(durationSeconds * 1000));
  // dropCuesAfter adds its warning after the parser's, which PrepareSubtitles has reported already.
  return { kept: within.cues, warnings: within.warnings.slice(parsed.warnings.length) };
}

/**
 * The cues a segment burns in, on its own clock: those shown at any time in [startMs, endMs) of the video,
 * moved back by startMs (clipped at 0). A cue across a cut is in both segments, each drawing its own side.
 */
export function cuesWithinSegment(cues: readonly Cue[], segment: { startMs: number; endMs: number | undefined }): Cue[] {
  return cues
    .filter((cue) => cue.endMs > segment.startMs && (segment.endMs === undefined || cue.startMs < segment.endMs))
    .map((cue) => ({ ...cue, startMs: Math.max(0, cue.startMs - segment.startMs), endMs: cue.endMs - segment.startMs }));
}

/**
 * The warnings for characters no font has (count, scripts, first cues), or MissingGlyphsError when the job
 * says `fail`. Nothing is checked, and that is logged, where fontconfig's tools are missing.
 */
export async function checkCuesCanBeDrawn(
  cues: Cue[],
  options: {
    fontsDir: string;
    mode: MissingGlyphsMode;
    logger: Logger;
    fontCoverage?: (fontsDir: string) => Promise<FontCoverage | undefined>;
  },
): Promise<string[]> {
  if (cues.length === 0) return [];
  const coverage = await (options.fontCoverage ?? readFontCoverage)(options.fontsDir);
  if (coverage === undefined) {
    options.logger.warn('fontconfig (fc-list) is not available: glyph coverage is not checked before encoding');
    return [];
  }
  const missingGlyphs = checkGlyphCoverage(cues, coverage);
  if (!missingGlyphs) return [];
  const message = describeMissingGlyphs(missingGlyphs);
  options.logger.warn('subtitle characters without a glyph', { ...missingGlyphs, cues: missingGlyphs.cues.slice(0, 10), mode: options.mode });
  if (options.mode === 'fail') throw new MissingGlyphsError(message);
  return [message];
}

/**
 * The style's font for the job: the regional CJK face its language asks for (language-face.ts) when fontconfig
 * has it, else the configured font. A face that is missing is logged, not fatal: the fallback still draws Han
 * characters, in the Japanese forms.
 */
export async function styleFontFor(
  language: string | undefined,
  options: { fontName: string; logger: Logger; isInstalled?: (family: string) => Promise<boolean> },
): Promise<string> {
  const face = faceForLanguage(language);
  if (face === undefined) return options.fontName;
  if (await (options.isInstalled ?? isFontFamilyInstalled)(face)) return face;
  options.logger.warn('the face for the subtitles\' language is not installed: the default font draws them', { language, face });
  return options.fontName;
}
