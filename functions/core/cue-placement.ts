/**
 * Where a cue sits on the picture. Subtitles say it two ways: WebVTT cue settings (`line:10% position:20%
 * align:start`) and, in SRT files from subtitle editors, a leading ASS override block (`{\an8}`,
 * `{\pos(192,40)}`). Both become one CuePlacement. The prepared SRT (PrepareSubtitles → worker) and the
 * burn-in's ASS script carry it as ASS tags, the WebVTT sidecar as cue settings; the SRT sidecar leaves it out
 * (SRT has no placement of its own).
 */

/** ASS "numpad" alignment: 1–3 bottom, 4–6 middle, 7–9 top; left, centre, right within each row. */
export type AssAlignment = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

export interface CuePlacement {
  alignment: AssAlignment;
  /** The anchor point in percent of the frame's width and height; absent: the style's margins decide. */
  at?: { x: number; y: number };
}

/**
 * ffmpeg's SRT decoder renders into a 384x288 script (libavcodec/ass.h, ASS_DEFAULT_PLAYRESX/Y), which libass
 * stretches over the frame: `\pos` coordinates are in that space whatever the video's size.
 */
const PLAY_RES = { x: 384, y: 288 } as const;
/** The style's vertical margin (ffmpeg's default MarginV, 10 of 288 lines), for a cue placed only sideways. */
const EDGE_MARGIN_PERCENT = (10 / PLAY_RES.y) * 100;

type Horizontal = 'left' | 'center' | 'right';
type Vertical = 'top' | 'middle' | 'bottom';

const ROW_BASE: Record<Vertical, number> = { bottom: 1, middle: 4, top: 7 };
const COLUMN_OFFSET: Record<Horizontal, number> = { left: 0, center: 1, right: 2 };

function alignmentOf(vertical: Vertical, horizontal: Horizontal): AssAlignment {
  return (ROW_BASE[vertical] + COLUMN_OFFSET[horizontal]) as AssAlignment;
}

function verticalOf(alignment: AssAlignment): Vertical {
  return alignment >= 7 ? 'top' : alignment >= 4 ? 'middle' : 'bottom';
}

function horizontalOf(alignment: AssAlignment): Horizontal {
  return (['left', 'center', 'right'] as const)[(alignment - 1) % 3]!;
}

const PERCENT = /^(-?\d+(?:\.\d+)?)%$/;
const clampPercent = (value: number) => Math.min(100, Math.max(0, value));

/**
 * WebVTT cue settings (the text after the end time) as a placement; undefined when they keep the default
 * (bottom centre). Settings vidp cannot draw are named in `ignored` so the caller can warn: vertical text,
 * regions and box sizes.
 */
export function placementFromVttSettings(settings: string): { placement?: CuePlacement; ignored: string[] } {
  const values = new Map<string, string>();
  for (const token of settings.trim().split(/\s+/)) {
    const separator = token.indexOf(':');
    if (separator > 0) values.set(token.slice(0, separator), token.slice(separator + 1));
  }
  const ignored = ['vertical', 'region', 'size'].filter((name) => values.has(name));

  const align = values.get('align');
  let horizontal: Horizontal = align === 'start' || align === 'left' ? 'left' : align === 'end' || align === 'right' ? 'right' : 'center';
  const [positionValue, positionAlign] = (values.get('position') ?? '').split(',');
  const position = PERCENT.exec(positionValue ?? '');
  if (positionAlign === 'line-left') horizontal = 'left';
  else if (positionAlign === 'line-right') horizontal = 'right';
  else if (positionAlign === 'center') horizontal = 'center';

  const [lineValue, lineAlign] = (values.get('line') ?? '').split(',');
  const linePercent = PERCENT.exec(lineValue ?? '');
  const lineNumber = /^-?\d+$/.test(lineValue ?? '') ? Number(lineValue) : undefined;
  let vertical: Vertical = 'bottom';
  let y: number | undefined;
  if (linePercent) {
    // The line's anchor is the cue box's top by default (lineAlign start), its middle or bottom otherwise.
    vertical = lineAlign === 'end' ? 'bottom' : lineAlign === 'center' ? 'middle' : 'top';
    y = clampPercent(Number(linePercent[1]));
  } else if (lineNumber !== undefined && lineNumber >= 0) {
    // Line numbers count rows of text from the top (0, 1, …) or from the bottom (-1, -2, …): vidp keeps the side.
    vertical = 'top';
  }

  const x = position ? clampPercent(Number(position[1])) : undefined;
  if (x === undefined && y === undefined) {
    if (vertical === 'bottom' && horizontal === 'center') return { ignored };
    return { placement: { alignment: alignmentOf(vertical, horizontal) }, ignored };
  }
  return {
    placement: {
      alignment: alignmentOf(vertical, horizontal),
      at: { x: x ?? defaultX(horizontal), y: y ?? defaultY(vertical) },
    },
    ignored,
  };
}

/** WebVTT's own defaults for the side that was not given: the edge or the middle the alignment names. */
function defaultX(horizontal: Horizontal): number {
  return horizontal === 'left' ? 0 : horizontal === 'right' ? 100 : 50;
}

function defaultY(vertical: Vertical): number {
  return vertical === 'top' ? EDGE_MARGIN_PERCENT : vertical === 'middle' ? 50 : 100 - EDGE_MARGIN_PERCENT;
}

/** The placement as WebVTT cue settings ('' for the default), for the `.vtt` sidecar. */
export function vttSettingsOf(placement: CuePlacement | undefined): string {
  if (placement === undefined) return '';
  const horizontal = horizontalOf(placement.alignment);
  const vertical = verticalOf(placement.alignment);
  const align = horizontal === 'left' ? 'start' : horizontal === 'right' ? 'end' : 'center';
  const lineAlign = vertical === 'top' ? 'start' : vertical === 'middle' ? 'center' : 'end';
  const settings: string[] = [];
  if (placement.at) {
    // WebVTT's defaults (line anchored at the cue's top, position where the alignment puts it) go unsaid.
    settings.push(`line:${round(placement.at.y)}%${lineAlign === 'start' ? '' : `,${lineAlign}`}`);
    if (placement.at.x !== defaultX(horizontal)) settings.push(`position:${round(placement.at.x)}%`);
  } else if (vertical === 'top') {
    settings.push('line:0');
  } else if (vertical === 'middle') {
    settings.push('line:50%,center');
  }
  if (align !== 'center') settings.push(`align:${align}`);
  return settings.join(' ');
}

/** The placement as an ASS override block (`\an`, `\pos`): in the prepared SRT and the burn-in's ASS script ('' for the default). */
export function assTagsOf(placement: CuePlacement | undefined): string {
  if (placement === undefined) return '';
  const position = placement.at
    ? `\\pos(${round((placement.at.x / 100) * PLAY_RES.x)},${round((placement.at.y / 100) * PLAY_RES.y)})`
    : '';
  return `{\\an${placement.alignment}${position}}`;
}

const LEADING_OVERRIDE_BLOCK = /^\{(\\[^}]*)\}/;

/**
 * Reads the placement from a cue text's leading override block (`{\an8}`, the legacy `{\a6}`, `{\pos(x,y)}`)
 * and returns the text without those tags (other tags of the block stay, for libass).
 */
export function placementFromAssTags(text: string): { placement?: CuePlacement; text: string } {
  const block = LEADING_OVERRIDE_BLOCK.exec(text);
  if (!block) return { text };
  const tags = block[1]!;
  const an = /\\an([1-9])/.exec(tags);
  const legacy = an ? undefined : /\\a(\d{1,2})(?![\d])/.exec(tags);
  const pos = /\\pos\(\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\)/.exec(tags);
  const alignment = an ? (Number(an[1]) as AssAlignment) : legacy ? legacyAlignment(Number(legacy[1])) : undefined;
  if (alignment === undefined && !pos) return { text };
  const rest = tags.replace(/\\an[1-9]|\\a\d{1,2}(?![\d])|\\pos\([^)]*\)/g, '');
  const placement: CuePlacement = { alignment: alignment ?? 2 };
  if (pos) placement.at = { x: clampPercent((Number(pos[1]) / PLAY_RES.x) * 100), y: clampPercent((Number(pos[2]) / PLAY_RES.y) * 100) };
  return { placement, text: (rest === '' ? '' : `{${rest}}`) + text.slice(block[0].length) };
}

/** SSA's `\a` numbering: 1–3 bottom, 5–7 top, 9–11 middle. */
function legacyAlignment(value: number): AssAlignment | undefined {
  const column = ((value - 1) % 4) + 1;
  if (column > 3) return undefined;
  const row: Vertical | undefined = value <= 3 ? 'bottom' : value <= 7 ? 'top' : value <= 11 ? 'middle' : undefined;
  return row === undefined ? undefined : alignmentOf(row, (['left', 'center', 'right'] as const)[column - 1]!);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
