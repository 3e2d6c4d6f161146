/**
 * The subtitles as files for players (`<track kind=subtitles>`, a player's "load subtitles"): the same cues
 * as the burn-in, cleaned of what only libass understands. ASS override blocks (`{\an8}`, `{\fs20}`) and
 * drawings (`{\p1}m 0 0 l 10 0{\p0}`) would be printed as text; ASS' `\h` and soft `\n` become spaces.
 * The WebVTT file carries the cue's placement as cue settings; SRT has no placement and leaves it out.
 */
import { vttSettingsOf } from './cue-placement.ts';
import { srtTime, vttTime, type Cue } from './subtitles.ts';

/** A drawing runs from an override block that sets `\p1` (or higher) to one that sets `\p0`, or to the end. */
const ASS_DRAWING = /\{[^}]*\\p[1-9][^}]*\}[\s\S]*?(?:\{[^}]*\\p0[^}]*\}|$)/g;
const ASS_OVERRIDE_BLOCK = /\{\\[^}]*\}/g;

/** The cue's words and line breaks, with the basic markup every player knows (<i>, <b>, <u>, <font>). */
export function plainCueText(text: string): string {
  return text
    .replace(ASS_DRAWING, '')
    .replace(ASS_OVERRIDE_BLOCK, '')
    .replace(/\\h/g, '\u00a0')
    .replace(/\\n/g, ' ')
    .split('\n')
    .map((line) => line.replace(/[ \t]+/g, ' ').trim())
    .filter((line) => line !== '')
    .join('\n');
}

/** Cues whose text is only tags or a drawing have nothing to show in a player. */
function withText(cues: readonly Cue[]): { cue: Cue; text: string }[] {
  return cues.map((cue) => ({ cue, text: plainCueText(cue.text) })).filter(({ text }) => text !== '');
}

export function formatSidecarSrt(cues: readonly Cue[]): string {
  return withText(cues)
    .map(({ cue, text }, index) => `${index + 1}\n${srtTime(cue.startMs)} --> ${srtTime(cue.endMs)}\n${text}\n`)
    .join('\n');
}

/**
 * WebVTT knows <i>, <b>, <u> but not <font>: its tags go (the words stay). Text is escaped for VTT: `&`, a `<`
 * that starts no tag, and `-->`.
 */
export function formatVtt(cues: readonly Cue[]): string {
  const body = withText(cues)
    .map(({ cue, text }) => {
      const escaped = text
        .replace(/<\/?font\b[^>]*>/gi, '')
        .replace(/&/g, '&amp;')
        .replace(/<(?!\/?[ibu]>)/g, '&lt;')
        .replace(/-->/g, '--&gt;');
      const settings = vttSettingsOf(cue.placement);
      return `${vttTime(cue.startMs)} --> ${vttTime(cue.endMs)}${settings === '' ? '' : ` ${settings}`}\n${escaped}\n`;
    })
    .join('\n');
  return `WEBVTT\n\n${body}`;
}
