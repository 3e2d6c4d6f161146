import { describe, expect, it, vi } from 'vitest';
import { styleFontFor } from '../../containers/ffmpeg/src/burn-in-subtitles.ts';
import { faceForLanguage } from '../../containers/ffmpeg/src/language-face.ts';
import type { Logger } from '../../functions/core/log.ts';

describe('faceForLanguage', () => {
  it.each([
    ['zh', 'Noto Sans CJK SC'],
    ['zh-CN', 'Noto Sans CJK SC'],
    ['zh-Hans', 'Noto Sans CJK SC'],
    ['zh-SG', 'Noto Sans CJK SC'],
    ['zh-TW', 'Noto Sans CJK TC'],
    ['zh-Hant', 'Noto Sans CJK TC'],
    ['zh-HK', 'Noto Sans CJK HK'],
    ['yue', 'Noto Sans CJK HK'],
    ['ja', 'Noto Sans CJK JP'],
    ['ko', 'Noto Sans CJK KR'],
  ])('gives %s the face %s', (tag, face) => {
    expect(faceForLanguage(tag)).toBe(face);
  });

  it.each(['en', 'ar', 'hi', 'und', '', undefined])('leaves %s to the style\'s font and the fallback', (tag) => {
    expect(faceForLanguage(tag)).toBeUndefined();
  });
});

describe('styleFontFor', () => {
  const logger = () => ({ warn: vi.fn() }) as unknown as Logger & { warn: ReturnType<typeof vi.fn> };

  it('uses the language\'s face when fontconfig has it', async () => {
    const font = await styleFontFor('ko', { fontName: 'DejaVu Sans', logger: logger(), isInstalled: async () => true });
    expect(font).toBe('Noto Sans CJK KR');
  });

  it('keeps the configured font, and says so, when the face is not installed', async () => {
    const log = logger();
    const font = await styleFontFor('ja', { fontName: 'DejaVu Sans', logger: log, isInstalled: async () => false });
    expect(font).toBe('DejaVu Sans');
    expect(log.warn).toHaveBeenCalledWith(expect.stringContaining('not installed'), { language: 'ja', face: 'Noto Sans CJK JP' });
  });
});
