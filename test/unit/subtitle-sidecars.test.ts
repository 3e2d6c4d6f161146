import { describe, expect, it } from 'vitest';
import { formatSidecarSrt, formatVtt, plainCueText } from '../../functions/core/subtitle-sidecars.ts';
import { formatSrt, parseSubtitles } from '../../functions/core/subtitles.ts';

const utf8 = (text: string) => new TextEncoder().encode(text);
const SRT = '1\n00:00:01,000 --> 00:00:02,500\nCafé crème\n\n2\n00:00:03,000 --> 00:00:04,000\nDéjà vu\n';

describe('plainCueText', () => {
  it('drops ASS override blocks and drawings, which a player would print as text', () => {
    expect(plainCueText('{\\fs20\\c&H00FFFF&}Yellow{\\r} words')).toBe('Yellow words');
    expect(plainCueText('Logo {\\p1}m 0 0 l 100 0 100 100 0 100{\\p0}here')).toBe('Logo here');
    expect(plainCueText('{\\p2}m 0 0 l 10 0 10 10')).toBe('');
  });

  it('turns ASS hard spaces into no-break spaces and soft breaks into spaces', () => {
    expect(plainCueText('10\\hkm\\nto go')).toBe('10\u00a0km to go');
  });
});

describe('formatSidecarSrt', () => {
  it('writes every cue as clean text with real line breaks: no override tags, no literal \\N', () => {
    const parsed = parseSubtitles(utf8('1\n00:00:00,000 --> 00:00:01,000\n{\\an8}{\\b1}Top line\\NSecond line\n'));
    expect(formatSidecarSrt(parsed.cues)).toBe('1\n00:00:00,000 --> 00:00:01,000\nTop line\nSecond line\n');
  });

  it('leaves out cues that hold only a drawing and renumbers the rest', () => {
    const parsed = parseSubtitles(utf8(`1\n00:00:00,000 --> 00:00:01,000\n{\\p1}m 0 0 l 9 9{\\p0}\n\n${SRT.replace(/^1/, '2')}`));
    const srt = formatSidecarSrt(parsed.cues);
    expect(srt.startsWith('1\n00:00:01,000 --> 00:00:02,500\nCafé crème\n')).toBe(true);
    expect(srt).not.toContain('m 0 0');
  });
});

describe('formatVtt', () => {
  it('writes a WebVTT file with dot-separated milliseconds', () => {
    expect(formatVtt([{ startMs: 3_723_004, endMs: 3_724_000, text: 'Ñandú' }])).toBe('WEBVTT\n\n01:02:03.004 --> 01:02:04.000\nÑandú\n');
  });

  it('keeps <i>/<b>/<u>, drops <font> tags (not WebVTT) and escapes what VTT would read as markup', () => {
    const vtt = formatVtt([{ startMs: 0, endMs: 1000, text: '<font color="#ffff00"><i>Tom & Jerry</i></font> <3 -->' }]);
    expect(vtt).toContain('\n<i>Tom &amp; Jerry</i> &lt;3 --&gt;\n');
    expect(vtt).not.toMatch(/font/i);
  });

  it('writes an SRT {\\an8} as a cue at the top, in cue settings rather than as text', () => {
    const parsed = parseSubtitles(utf8('1\n00:00:00,000 --> 00:00:01,000\n{\\an8}Speaker off screen\n'));
    expect(formatVtt(parsed.cues)).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:01.000 line:0\nSpeaker off screen\n');
  });

  it('keeps WebVTT cue settings through the burn-in file and back', () => {
    const vtt = 'WEBVTT\n\n00:00:00.000 --> 00:00:01.000 line:10%,start position:20% align:start\nUpper left\n';
    const prepared = parseSubtitles(utf8(formatSrt(parseSubtitles(utf8(vtt)).cues)));
    expect(formatVtt(prepared.cues)).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:01.000 line:10% position:20% align:start\nUpper left\n');
  });

  it('round-trips through the parser', () => {
    const parsed = parseSubtitles(utf8(SRT));
    expect(parseSubtitles(utf8(formatVtt(parsed.cues))).cues).toEqual(parsed.cues);
  });
});
