import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectFontProblem, ensureFontsAvailable } from '../../containers/ffmpeg/src/font-guard.ts';

describe('ensureFontsAvailable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vidp-fonts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts a fonts dir with a font file libass can load', async () => {
    mkdirSync(join(dir, 'with-font'));
    writeFileSync(join(dir, 'with-font', 'Some.TTF'), '');

    await expect(ensureFontsAvailable(join(dir, 'with-font'))).resolves.toBeUndefined();
  });

  it('refuses a fonts dir whose fonts are only in subdirectories, where libass does not look', async () => {
    mkdirSync(join(dir, 'nested', 'truetype'), { recursive: true });
    writeFileSync(join(dir, 'nested', 'truetype', 'Some.ttf'), '');

    await expect(ensureFontsAvailable(join(dir, 'nested'))).rejects.toMatchObject({ name: 'WorkerMisconfiguredError' });
  });

  it('refuses a fonts dir that does not exist', async () => {
    await expect(ensureFontsAvailable(join(dir, 'missing'))).rejects.toMatchObject({
      name: 'WorkerMisconfiguredError',
      message: `The fonts directory ${join(dir, 'missing')} cannot be read`,
    });
  });
});

describe('detectFontProblem', () => {
  // Lines as FFmpeg 5.1 / libass 0.17 print them (see the comment on the patterns in font-guard.ts).
  const prefix = '[Parsed_subtitles_2 @ 0x5625ffe58c80] ';

  it('flags libass finding no font at all', () => {
    expect(
      detectFontProblem(`${prefix}fontselect: failed to find any fallback with glyph 0x0 for font: (DejaVu Sans, 400, 0)`),
    ).toEqual({ kind: 'no_font', font: '(DejaVu Sans, 400, 0)' });
  });

  it('reports a character no installed font has', () => {
    expect(
      detectFontProblem(`${prefix}fontselect: failed to find any fallback with glyph 0x4E2D for font: (DejaVu Sans, 400, 0)`),
    ).toEqual({ kind: 'missing_glyph', codePoint: 'U+4E2D' });
  });

  it('reports a file in the fonts dir that is not a font', () => {
    expect(detectFontProblem(`${prefix}Error opening memory font 'x.ttf'`)).toEqual({
      kind: 'unreadable_font_file',
      file: 'x.ttf',
    });
  });

  it('ignores a glyph that a fallback font then provides, and a successful font selection', () => {
    expect(detectFontProblem(`${prefix}Glyph 0x1F600 not found, selecting one more font for (DejaVu Sans, 400, 0)`)).toBeUndefined();
    expect(
      detectFontProblem(`${prefix}fontselect: (DejaVu Sans, 400, 0) -> /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf, 0, DejaVuSans`),
    ).toBeUndefined();
  });

  it('ignores the fontconfig fallback notice, which still finds the system fonts', () => {
    expect(detectFontProblem(`${prefix}No usable fontconfig configuration file found, using fallback.`)).toBeUndefined();
  });
});
