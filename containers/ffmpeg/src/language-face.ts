/**
 * The face for the subtitles' language where languages share code points. Han characters are drawn
 * differently in Simplified and Traditional Chinese, Japanese and Korean (骨, 直, 角: the same code point, other
 * strokes), and fontconfig's fallback picks one face for all of them (Noto Sans CJK JP). A job that names its
 * language gets the regional face of Noto Sans CJK as the style's font; its Latin, digits and punctuation are
 * drawn by that face too, which is designed for it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Script (and, for Traditional Chinese, region) of the maximized tag → the Noto Sans CJK face. */
function cjkFaceOf(locale: Intl.Locale): string | undefined {
  switch (locale.script) {
    case 'Hans':
      return 'Noto Sans CJK SC';
    case 'Hant':
      return locale.region === 'HK' || locale.region === 'MO' ? 'Noto Sans CJK HK' : 'Noto Sans CJK TC';
    case 'Jpan':
      return 'Noto Sans CJK JP';
    case 'Kore':
      return 'Noto Sans CJK KR';
    default:
      return undefined;
  }
}

/**
 * The face a BCP 47 tag asks for: Whisper's "zh" and "zh-CN" → SC, "zh-TW" and "zh-Hant" → TC, "zh-HK" and
 * "yue" → HK, "ja" → JP, "ko" → KR (likely subtags from ICU). Undefined for every other language, "und" and
 * tags that do not parse: the style's own font and fontconfig's fallback serve them.
 */
export function faceForLanguage(tag: string | undefined): string | undefined {
  if (tag === undefined || tag === '' || tag === 'und') return undefined;
  try {
    return cjkFaceOf(new Intl.Locale(tag).maximize());
  } catch {
    return undefined;
  }
}

/** Whether fontconfig knows the family (libass finds fonts through it): `fc-list` prints nothing otherwise. */
export async function isFontFamilyInstalled(family: string, fcList = 'fc-list'): Promise<boolean> {
  try {
    const { stdout } = await run(fcList, [`:family=${family}`, 'family']);
    return stdout.trim() !== '';
  } catch {
    return false;
  }
}
