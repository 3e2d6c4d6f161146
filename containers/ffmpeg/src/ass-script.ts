/**
 * The burn-in as an ASS script, drawn by ffmpeg's `ass` filter with libass' complex shaping.
 *
 * Why not hand ffmpeg the SRT: its `subtitles` filter (FFmpeg 5.1) leaves libass on *simple* shaping, the
 * filter having no `shaping` option and its field defaulting to 0. Simple shaping is FriBidi alone: Arabic
 * still joins and Hebrew still runs right to left, but Indic scripts lose their conjuncts and reordered
 * vowel signs (क्ष drawn as क्‌ष, कि with its vowel sign after the consonant). And its SRT decoder keeps only
 * `{\an…}` of a cue's ASS tags, so a cue's exact position (`\pos`) was lost.
 *
 * The script reproduces what ffmpeg's SRT decoder would have written (its header and Default style, the
 * HTML-like tags as ASS overrides) with the job's font and size in the style.
 */
import { assTagsOf } from '../../../functions/core/cue-placement.ts';
import type { Cue } from '../../../functions/core/subtitles.ts';

/** libass' default 16 of the 288-line script: the size ffmpeg's SRT decoder gives every cue. */
export const DEFAULT_SUBTITLE_FONT_SIZE = 16;

/**
 * The script is 384x288 and libass scales text with the frame's height: on a portrait frame, the width the
 * text must wrap in is a fraction of a landscape one's, so a long cue would cover a third of the picture.
 * The size follows the shorter side instead.
 */
export function subtitleFontSize(width: number, height: number): number {
  if (height <= width) return DEFAULT_SUBTITLE_FONT_SIZE;
  return Math.round((DEFAULT_SUBTITLE_FONT_SIZE * width * 10) / height) / 10;
}

export interface BurnInStyle {
  fontName: string;
  fontSize: number;
}

/** ffmpeg's own header for SRT (libavcodec/ass.c, ff_ass_subtitle_header_default), the font and size set. */
function header(style: BurnInStyle): string {
  return [
    '[Script Info]',
    'ScriptType: v4.00+',
    'PlayResX: 384',
    'PlayResY: 288',
    'ScaledBorderAndShadow: yes',
    '',
    '[V4+ Styles]',
    'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding',
    `Style: Default,${style.fontName.replace(/,/g, ' ')},${style.fontSize},&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0`,
    '',
    '[Events]',
    'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
  ].join('\n');
}

export function formatAssScript(cues: readonly Cue[], style: BurnInStyle): string {
  const events = cues.map((cue) => `Dialogue: 0,${assTime(cue.startMs)},${assTime(cue.endMs)},Default,,0,0,0,,${assTagsOf(cue.placement)}${assTextOf(cue.text)}`);
  return `${header(style)}\n${events.join('\n')}\n`;
}

/** H:MM:SS.cc, ASS' centiseconds. */
function assTime(totalMs: number): string {
  const centiseconds = Math.round(totalMs / 10);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const seconds = Math.floor(centiseconds / 100);
  return `${Math.floor(seconds / 3600)}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}.${pad(centiseconds % 100)}`;
}

const NAMED_COLOURS: Record<string, string> = {
  white: 'ffffff', black: '000000', red: 'ff0000', lime: '00ff00', green: '008000', blue: '0000ff',
  yellow: 'ffff00', cyan: '00ffff', aqua: '00ffff', magenta: 'ff00ff', fuchsia: 'ff00ff', gray: '808080',
  grey: '808080', silver: 'c0c0c0', orange: 'ffa500', purple: '800080',
};

/** `#rrggbb`, `#rgb` or a CSS name as ASS' &HBBGGRR&; undefined for what cannot be read. */
function assColour(value: string): string | undefined {
  const named = NAMED_COLOURS[value.toLowerCase()];
  let hex = named ?? value.replace(/^#/, '');
  if (/^[0-9a-f]{3}$/i.test(hex)) hex = [...hex].map((digit) => digit + digit).join('');
  if (!/^[0-9a-f]{6}$/i.test(hex)) return undefined;
  return `&H${hex.slice(4, 6)}${hex.slice(2, 4)}${hex.slice(0, 2)}&`.toUpperCase();
}

/** The override tags a `<font …>` sets, and the ones that undo them at its `</font>`. */
function fontTags(attributes: string): { open: string; close: string } {
  const attribute = (name: string) => new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(attributes);
  const valueOf = (match: RegExpExecArray | null) => match?.[1] ?? match?.[2] ?? match?.[3];
  const open: string[] = [];
  const close: string[] = [];
  const colour = valueOf(attribute('color'));
  const colourTag = colour === undefined ? undefined : assColour(colour);
  if (colourTag) { open.push(`\\c${colourTag}`); close.push('\\c'); }
  const size = valueOf(attribute('size'));
  if (size !== undefined && /^\d+(\.\d+)?$/.test(size)) { open.push(`\\fs${size}`); close.push('\\fs'); }
  const face = valueOf(attribute('face'));
  if (face !== undefined && !/[{}\\]/.test(face)) { open.push(`\\fn${face}`); close.push('\\fn'); }
  return { open: open.length > 0 ? `{${open.join('')}}` : '', close: close.length > 0 ? `{${close.join('')}}` : '' };
}

/**
 * A cue's text as ASS: <i>/<b>/<u>/<s> and <font color|size|face> as override tags (what ffmpeg's SRT decoder
 * does), other tag-like markup dropped, the cue's own ASS override blocks kept for libass, braces that open
 * no override block escaped so "{laughs}" is drawn, line breaks as \N.
 */
export function assTextOf(text: string): string {
  const openFonts: string[] = [];
  return text
    .replace(/\{(?!\\)([^}]*)\}/g, '\\{$1\\}')
    .replace(/<(\/?)(font\b[^>]*|[ibus])>/gi, (_tag, closing: string, name: string) => {
      if (/^font/i.test(name)) {
        if (closing) return openFonts.pop() ?? '';
        const tags = fontTags(name.slice(4));
        openFonts.push(tags.close);
        return tags.open;
      }
      return `{\\${name.toLowerCase()}${closing ? 0 : 1}}`;
    })
    .replace(/<\/?[a-z][^>]*>/gi, '')
    .replace(/\n/g, '\\N');
}
