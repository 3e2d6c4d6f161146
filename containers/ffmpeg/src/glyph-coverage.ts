/**
 * Glyph coverage as a contract: before encoding, every cue's characters are checked against the fonts the
 * worker has. libass never fails over a missing glyph — it draws an empty box ("tofu") and ffmpeg exits 0 —
 * so without this check a video with unreadable subtitles would end `saved`.
 *
 * The fonts are read with fontconfig's own tools, once per worker start: `fc-list` for every font
 * fontconfig finds (what libass falls back to) and `fc-query` for the files in FONTS_DIR (what the
 * `ass` filter loads itself). They print each font's character set as hex ranges (`20-7e a0 …`),
 * exactly the set fontconfig matches on when libass asks for a fallback, in ~10 ms for 300 fonts. Parsing
 * the font files in Node (fontkit) would duplicate what fontconfig already computed, and could disagree
 * with what libass actually finds.
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Cue } from '../../../functions/core/subtitles.ts';

const run = promisify(execFile);

export type { MissingGlyphsMode } from '../../../functions/core/video.ts';

export interface FontCoverage {
  has(codePoint: number): boolean;
}

/** Sorted, merged [start, end] ranges of code points. */
export function parseCharsets(text: string): FontCoverage {
  const ranges: [number, number][] = [];
  for (const token of text.split(/\s+/)) {
    if (!token) continue;
    const match = /^([0-9a-f]+)(?:-([0-9a-f]+))?$/i.exec(token);
    if (!match) continue;
    const start = Number.parseInt(match[1]!, 16);
    ranges.push([start, match[2] === undefined ? start : Number.parseInt(match[2], 16)]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range[0] <= last[1] + 1) last[1] = Math.max(last[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return {
    has(codePoint) {
      let low = 0;
      let high = merged.length - 1;
      while (low <= high) {
        const middle = (low + high) >> 1;
        const [start, end] = merged[middle]!;
        if (codePoint < start) high = middle - 1;
        else if (codePoint > end) low = middle + 1;
        else return true;
      }
      return false;
    },
  };
}

const FONT_FILE_PATTERN = /\.(ttf|otf|ttc|otc)$/i;
const cache = new Map<string, Promise<FontCoverage | undefined>>();

/**
 * What the fonts cover, read once per process and fonts dir. `undefined` when fontconfig's tools are not
 * installed: the check is skipped (the caller logs it) and libass' own log lines still report missing glyphs.
 */
export function readFontCoverage(fontsDir: string, tools: { fcList?: string; fcQuery?: string } = {}): Promise<FontCoverage | undefined> {
  const key = `${fontsDir}\0${tools.fcList ?? ''}\0${tools.fcQuery ?? ''}`;
  let coverage = cache.get(key);
  if (!coverage) {
    coverage = (async () => {
      try {
        const listed = await run(tools.fcList ?? 'fc-list', ['--format', '%{charset}\n'], { maxBuffer: 64 * 1024 * 1024 });
        const files = (await readdir(fontsDir).catch(() => [] as string[])).filter((name) => FONT_FILE_PATTERN.test(name));
        const queried = files.length === 0
          ? { stdout: '' }
          : await run(tools.fcQuery ?? 'fc-query', ['--format', '%{charset}\n', ...files.map((name) => join(fontsDir, name))], { maxBuffer: 64 * 1024 * 1024 })
            .catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
        return parseCharsets(`${listed.stdout}\n${queried.stdout}`);
      } catch {
        return undefined;
      }
    })();
    cache.set(key, coverage);
  }
  return coverage;
}

/** Scripts named in the warnings (Unicode Script property); the first that matches wins. */
const SCRIPTS = [
  'Latin', 'Greek', 'Cyrillic', 'Armenian', 'Georgian', 'Hebrew', 'Arabic', 'Syriac', 'Thaana', 'Nko',
  'Devanagari', 'Bengali', 'Gurmukhi', 'Gujarati', 'Oriya', 'Tamil', 'Telugu', 'Kannada', 'Malayalam', 'Sinhala',
  'Thai', 'Lao', 'Tibetan', 'Myanmar', 'Khmer', 'Mongolian', 'Ethiopic', 'Cherokee', 'Canadian_Aboriginal',
  'Han', 'Hiragana', 'Katakana', 'Hangul', 'Bopomofo', 'Yi', 'Javanese', 'Balinese', 'Sundanese', 'Tifinagh',
  'Vai', 'Adlam', 'Ol_Chiki', 'Inherited', 'Common', 'Unknown',
].map((name) => ({ name, pattern: new RegExp(`^\\p{Script=${name}}$`, 'u') }));

export function scriptOf(character: string): string {
  return SCRIPTS.find(({ pattern }) => pattern.test(character))?.name ?? 'Other';
}

/** Never drawn: controls, format characters (ZWJ, ZWNJ, bidi marks) and variation selectors. */
const NOT_DRAWN = /^[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\uFE00-\uFE0F\u{E0100}-\u{E01EF}]$/u;

/** The text libass draws: SRT's HTML-like tags and ASS override blocks are markup, `\N` `\n` `\h` are breaks. */
function drawnText(text: string): string {
  return text.replace(/<[^>]*>/g, '').replace(/\{[^}]*\}/g, '').replace(/\\[Nnh]/g, ' ');
}

export interface GlyphCoverageReport {
  /** Distinct characters without a glyph. */
  missingCharacters: number;
  /** How often they occur in all cues. */
  occurrences: number;
  /** Distinct missing characters per script. */
  scripts: Record<string, number>;
  codePoints: string[];
  /** Cues holding at least one, in order: 1-based index, start, and the text. */
  cues: { index: number; startMs: number; text: string }[];
}

export function checkGlyphCoverage(cues: readonly Cue[], coverage: FontCoverage): GlyphCoverageReport | undefined {
  const missing = new Map<string, string>();
  let occurrences = 0;
  const affected: GlyphCoverageReport['cues'] = [];
  cues.forEach((cue, index) => {
    let inCue = false;
    for (const character of drawnText(cue.text)) {
      if (NOT_DRAWN.test(character) || coverage.has(character.codePointAt(0)!)) continue;
      occurrences += 1;
      inCue = true;
      if (!missing.has(character)) missing.set(character, scriptOf(character));
    }
    if (inCue) affected.push({ index: index + 1, startMs: cue.startMs, text: cue.text });
  });
  if (missing.size === 0) return undefined;
  const scripts: Record<string, number> = {};
  for (const script of missing.values()) scripts[script] = (scripts[script] ?? 0) + 1;
  return {
    missingCharacters: missing.size,
    occurrences,
    scripts,
    codePoints: [...missing.keys()].map((character) => `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`),
    cues: affected,
  };
}

const LISTED_CUES = 3;
const LISTED_CODE_POINTS = 20;

function clock(ms: number): string {
  const total = Math.floor(ms / 1000);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}.${pad(ms % 1000, 3)}`;
}

/** One warning for the record: counts, scripts, the first cues and code points, and how many more there are. */
export function describeMissingGlyphs(report: GlyphCoverageReport): string {
  const scripts = Object.entries(report.scripts).map(([script, count]) => `${script} ${count}`).join(', ');
  const cues = report.cues.slice(0, LISTED_CUES)
    .map((cue) => `#${cue.index} at ${clock(cue.startMs)} "${cue.text.replace(/\s+/g, ' ').slice(0, 40)}"`).join('; ');
  const moreCues = report.cues.length > LISTED_CUES ? ` and ${report.cues.length - LISTED_CUES} more` : '';
  const codePoints = report.codePoints.slice(0, LISTED_CODE_POINTS).join(' ');
  const moreCodePoints = report.codePoints.length > LISTED_CODE_POINTS ? ` and ${report.codePoints.length - LISTED_CODE_POINTS} more` : '';
  const characters = report.missingCharacters === 1 ? '1 subtitle character' : `${report.missingCharacters} distinct subtitle characters`;
  const inCues = report.cues.length === 1 ? `in 1 cue: ${cues}` : `in ${report.cues.length} cues, first ${cues}${moreCues}`;
  return `${characters} (${report.occurrences} in all) ${report.missingCharacters === 1 ? 'has' : 'have'} no glyph in the worker's fonts`
    + ` and ${report.missingCharacters === 1 ? 'is' : 'are'} drawn as empty boxes — scripts: ${scripts}; ${inCues};`
    + ` code points: ${codePoints}${moreCodePoints}`;
}
