import { assTagsOf, placementFromAssTags, placementFromVttSettings, type CuePlacement } from './cue-placement.ts';
import { SubtitlesInvalidError } from './errors.ts';

/**
 * Subtitles in, one clean SRT out. Accepts what subtitle tools actually produce — SRT or WebVTT, UTF-8 with
 * or without BOM, UTF-16 with BOM, Windows-1252, any line ends — and rejects what would burn garbage into a
 * video, saying which line is wrong. Hand-written rather than a library because the errors must name lines
 * and the accepted dialect must be exactly what libass renders.
 */
export interface Cue {
  startMs: number;
  endMs: number;
  /** The text libass draws: line breaks as \n, <i>/<b>/<u>/<font> markup and ASS override tags kept. */
  text: string;
  /** Where the cue sits, when not at the bottom centre (WebVTT cue settings, or a leading `{\an8}`). */
  placement?: CuePlacement;
}

export interface ParsedSubtitles {
  format: 'srt' | 'vtt';
  encoding: 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';
  cues: Cue[];
  warnings: string[];
}

export function decodeSubtitles(bytes: Uint8Array): { text: string; encoding: ParsedSubtitles['encoding'] } {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' };
  }
  if (bytes.includes(0)) {
    throw new SubtitlesInvalidError('The subtitles file is binary, not text (it contains NUL bytes)');
  }
  try {
    // TextDecoder strips a UTF-8 BOM by default.
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    // Not UTF-8: legacy editors save Windows-1252 (a superset of Latin-1 for printable text).
    return { text: new TextDecoder('windows-1252').decode(bytes), encoding: 'windows-1252' };
  }
}

const TIMESTAMP = /^(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})[,.](\d{1,3})$/;

function parseTimestamp(value: string): number | undefined {
  const match = TIMESTAMP.exec(value.trim());
  if (!match) return undefined;
  const [, hours = '0', minutes = '0', seconds = '0', fraction = '0'] = match;
  if (Number(minutes) > 59 || Number(seconds) > 59) return undefined;
  const millis = Number(fraction.padEnd(3, '0'));
  return ((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000 + millis;
}

export function parseSubtitles(bytes: Uint8Array): ParsedSubtitles {
  const { text, encoding } = decodeSubtitles(bytes);
  if (/[\u0001-\u0008\u000e-\u001f]/.test(text)) {
    throw new SubtitlesInvalidError('The subtitles file is binary, not text (it contains control characters)');
  }
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const format = lines[0]?.trimStart().startsWith('WEBVTT') ? 'vtt' : 'srt';
  const cues: Cue[] = [];
  const warnings: string[] = [];
  const ignoredSettings = new Map<string, number>();

  for (const block of blocksOf(lines)) {
    if (format === 'vtt' && isVttMetadataBlock(block.lines, block.firstLine === 1)) continue;
    const timingIndex = block.lines.findIndex((line) => line.includes('-->'));
    if (timingIndex === -1 || timingIndex > 1) {
      throw new SubtitlesInvalidError(
        `Subtitles line ${block.firstLine}: expected a cue (a number, then a timing line like ` +
          `"00:00:01,000 --> 00:00:03,500"), found "${truncate(block.lines[0] ?? '')}"`,
      );
    }
    const timingLineNumber = block.firstLine + timingIndex;
    const timingLine = block.lines[timingIndex] ?? '';
    const [startText = '', rest = ''] = timingLine.split('-->');
    const endText = rest.trim().split(/\s+/)[0] ?? '';
    const startMs = parseTimestamp(startText);
    const endMs = parseTimestamp(endText);
    if (startMs === undefined || endMs === undefined) {
      throw new SubtitlesInvalidError(
        `Subtitles line ${timingLineNumber}: malformed timestamp in "${truncate(timingLine)}" ` +
          `(expected HH:MM:SS,mmm --> HH:MM:SS,mmm)`,
      );
    }
    if (endMs <= startMs) {
      throw new SubtitlesInvalidError(`Subtitles line ${timingLineNumber}: the cue ends before it starts`);
    }
    const joined = block.lines
      .slice(timingIndex + 1)
      .map((line) => (format === 'vtt' ? vttTextToSrt(line) : line).trimEnd())
      .join('\n')
      // `\N` is ASS' hard line break, which editors write into SRT: one line break for every reader.
      .replace(/\\N/g, '\n')
      .trim();
    const tagged = placementFromAssTags(joined);
    const cueText = tagged.text.trim();
    if (cueText === '') {
      warnings.push(`Subtitles line ${timingLineNumber}: empty cue dropped`);
      continue;
    }
    let placement = tagged.placement;
    if (format === 'vtt') {
      const settings = placementFromVttSettings(rest.trim().split(/\s+/).slice(1).join(' '));
      placement = settings.placement ?? placement;
      for (const name of settings.ignored) ignoredSettings.set(name, (ignoredSettings.get(name) ?? 0) + 1);
    }
    cues.push({ startMs, endMs, text: cueText, ...(placement ? { placement } : {}) });
  }
  for (const [name, count] of ignoredSettings) {
    warnings.push(`The WebVTT cue setting "${name}" is not supported and was ignored (${count} cue${count === 1 ? '' : 's'})${VTT_SETTING_EFFECT[name] ?? ''}`);
  }

  if (cues.length === 0) {
    throw new SubtitlesInvalidError('The subtitles file has no cues');
  }
  const sorted = [...cues].sort((a, b) => a.startMs - b.startMs);
  if (sorted.some((cue, index) => cue !== cues[index])) {
    warnings.push('Cues were out of order and have been sorted by start time');
  }
  return { format, encoding, cues: sorted, warnings };
}

/** Cues that start after the video has ended would never show: they are dropped, with a warning. */
export function dropCuesAfter(parsed: ParsedSubtitles, durationMs: number): ParsedSubtitles {
  const kept = parsed.cues.filter((cue) => cue.startMs < durationMs);
  const dropped = parsed.cues.length - kept.length;
  if (dropped === 0) return parsed;
  return { ...parsed, cues: kept, warnings: [...parsed.warnings, `${dropped} cue(s) start after the video ends and were dropped`] };
}

/**
 * The cues as the prepared SRT PrepareSubtitles hands the worker: placement written exactly as a leading ASS
 * override block (`{\an8\pos(…)}`), markup kept, so the worker reads back what the uploaded file said.
 */
export function formatSrt(cues: readonly Cue[]): string {
  return cues
    .map((cue, index) => `${index + 1}\n${srtTime(cue.startMs)} --> ${srtTime(cue.endMs)}\n${assTagsOf(cue.placement)}${cue.text}\n`)
    .join('\n');
}

export function srtTime(totalMs: number): string {
  return clockTime(totalMs, ',');
}

export function vttTime(totalMs: number): string {
  return clockTime(totalMs, '.');
}

function clockTime(totalMs: number, decimalSeparator: string): string {
  const ms = totalMs % 1000;
  const totalSeconds = Math.floor(totalMs / 1000);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(Math.floor(totalSeconds / 3600))}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}${decimalSeparator}${pad(ms, 3)}`;
}

function* blocksOf(lines: string[]): Generator<{ firstLine: number; lines: string[] }> {
  let current: string[] = [];
  let firstLine = 0;
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') {
      if (current.length > 0) yield { firstLine, lines: current };
      current = [];
      continue;
    }
    if (current.length === 0) firstLine = index + 1;
    current.push(line);
  }
  if (current.length > 0) yield { firstLine, lines: current };
}

function isVttMetadataBlock(lines: string[], isFirstBlock: boolean): boolean {
  const first = lines[0]?.trim() ?? '';
  if (isFirstBlock && first.startsWith('WEBVTT')) return true;
  return /^(NOTE|STYLE|REGION)(\s|$)/.test(first);
}

/** WebVTT markup libass does not know: keep <i>/<b>/<u>, drop voice/class/timestamp tags, decode entities. */
function vttTextToSrt(line: string): string {
  return line
    .replace(/<(?!\/?[ibu]>)[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&nbsp;/g, '\u00a0')
    .replace(/&amp;/g, '&');
}

/** What each unsupported WebVTT setting means for the burned-in picture. */
const VTT_SETTING_EFFECT: Record<string, string> = {
  vertical: ': those cues are burned as horizontal text',
  region: ': those cues are placed by their own settings',
  size: ': those cues wrap at the frame\'s width',
};

function truncate(value: string, max = 60): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
