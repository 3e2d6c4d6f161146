import { describe, expect, it } from 'vitest';
import { checkGlyphCoverage, describeMissingGlyphs, parseCharsets, scriptOf } from '../../containers/ffmpeg/src/glyph-coverage.ts';

const cue = (index: number, text: string) => ({ startMs: index * 1000, endMs: index * 1000 + 900, text });

describe('glyph coverage', () => {
  it('reads fontconfig charsets: single code points and ranges, over several fonts, overlapping', () => {
    const coverage = parseCharsets('20-7e a0\n41-5a 4e00-4e10\n\n4e05-4e20\n');
    expect([0x20, 0x41, 0x7e, 0xa0, 0x4e00, 0x4e15, 0x4e20].every((cp) => coverage.has(cp))).toBe(true);
    expect([0x1f, 0x7f, 0xa1, 0x4e21, 0x10000].some((cp) => coverage.has(cp))).toBe(false);
  });

  it('names the Unicode script of a character', () => {
    expect(['a', 'Ж', 'ש', 'क', 'ก', '中', 'か', 'カ', '한', '😀', '\u{F0041}'].map(scriptOf))
      .toEqual(['Latin', 'Cyrillic', 'Hebrew', 'Devanagari', 'Thai', 'Han', 'Hiragana', 'Katakana', 'Hangul', 'Common', 'Unknown']);
  });

  it('counts the characters without a glyph, ignoring markup, breaks, joiners and variation selectors', () => {
    const latinOnly = parseCharsets('20-7e');
    const report = checkGlyphCoverage([
      cue(0, '<i>Hello</i> {\\an8}there\\Nfriend'),
      cue(1, 'Say 中文 and 中'),
      cue(2, '❤\uFE0F\u200D ok'),
    ], latinOnly);
    expect(report).toEqual({
      missingCharacters: 3,
      occurrences: 4,
      scripts: { Han: 2, Common: 1 },
      codePoints: ['U+4E2D', 'U+6587', 'U+2764'],
      cues: [{ index: 2, startMs: 1000, text: 'Say 中文 and 中' }, { index: 3, startMs: 2000, text: '❤\uFE0F\u200D ok' }],
    });
    expect(checkGlyphCoverage([cue(0, 'all fine')], latinOnly)).toBeUndefined();
  });

  it('describes them in one warning that says what it leaves out', () => {
    const cues = Array.from({ length: 30 }, (_, index) => cue(index, String.fromCodePoint(0x4e00 + index)));
    const warning = describeMissingGlyphs(checkGlyphCoverage(cues, parseCharsets(''))!);
    expect(warning).toContain('30 distinct subtitle characters (30 in all)');
    expect(warning).toContain('scripts: Han 30');
    expect(warning).toContain('in 30 cues, first #1 at 00:00:00.000 "一"; #2 at 00:00:01.000 "丁"; #3 at 00:00:02.000 "丂" and 27 more');
    expect(warning).toMatch(/code points: U\+4E00 .* U\+4E13 and 10 more$/);
  });
});
