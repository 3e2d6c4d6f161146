import { describe, expect, it } from 'vitest';
import { SubtitlesInvalidError } from '../../functions/core/errors.ts';
import { dropCuesAfter, formatSrt, parseSubtitles } from '../../functions/core/subtitles.ts';

const utf8 = (text: string) => new TextEncoder().encode(text);
const SRT = '1\n00:00:01,000 --> 00:00:02,500\nCafé crème\n\n2\n00:00:03,000 --> 00:00:04,000\nDéjà vu\n';

describe('parseSubtitles', () => {
  it('reads SRT cues with their times and accented text', () => {
    const parsed = parseSubtitles(utf8(SRT));
    expect(parsed.format).toBe('srt');
    expect(parsed.cues).toEqual([
      { startMs: 1000, endMs: 2500, text: 'Café crème' },
      { startMs: 3000, endMs: 4000, text: 'Déjà vu' },
    ]);
  });

  it('accepts a UTF-8 BOM and CRLF or CR line ends', () => {
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(SRT.replace(/\n/g, '\r\n'))]);
    expect(parseSubtitles(withBom).cues).toHaveLength(2);
    expect(parseSubtitles(utf8(SRT.replace(/\n/g, '\r'))).cues[1]?.text).toBe('Déjà vu');
  });

  it('decodes UTF-16 with a BOM', () => {
    const body = Buffer.from(SRT, 'utf16le');
    const parsed = parseSubtitles(new Uint8Array([0xff, 0xfe, ...body]));
    expect(parsed.encoding).toBe('utf-16le');
    expect(parsed.cues[0]?.text).toBe('Café crème');
  });

  it('falls back to Windows-1252 for legacy files', () => {
    const parsed = parseSubtitles(new Uint8Array(Buffer.from(SRT, 'latin1')));
    expect(parsed.encoding).toBe('windows-1252');
    expect(parsed.cues[0]?.text).toBe('Café crème');
  });

  it('reads WebVTT, skipping its header and notes and the markup libass does not know, keeping the cue\'s alignment', () => {
    const vtt = 'WEBVTT\n\nNOTE a comment\n\ncue-1\n00:01.000 --> 00:02.000 align:start\n<v Ana>Olá <i>mundo</i> &amp; tu\n';
    const parsed = parseSubtitles(utf8(vtt));
    expect(parsed.format).toBe('vtt');
    expect(parsed.cues).toEqual([{ startMs: 1000, endMs: 2000, text: 'Olá <i>mundo</i> & tu', placement: { alignment: 1 } }]);
  });

  it('sorts out-of-order cues and says so', () => {
    const shuffled = '1\n00:00:05,000 --> 00:00:06,000\nsecond\n\n2\n00:00:01,000 --> 00:00:02,000\nfirst\n';
    const parsed = parseSubtitles(utf8(shuffled));
    expect(parsed.cues.map((cue) => cue.text)).toEqual(['first', 'second']);
    expect(parsed.warnings.join()).toMatch(/sorted/);
  });

  it('names the line of a malformed timestamp', () => {
    const broken = '1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03,000 --> 00:0x:04,000\nbad\n';
    expect(() => parseSubtitles(utf8(broken))).toThrow(/line 6: malformed timestamp/);
  });

  it('refuses a cue that ends before it starts', () => {
    expect(() => parseSubtitles(utf8('1\n00:00:02,000 --> 00:00:01,000\nx\n'))).toThrow(/line 2: the cue ends before/);
  });

  it.each([
    ['an empty file', ''],
    ['only blank lines', '\n\n  \n'],
  ])('refuses %s as having no cues', (_name, text) => {
    expect(() => parseSubtitles(utf8(text))).toThrow(SubtitlesInvalidError);
  });

  it('refuses binary content', () => {
    expect(() => parseSubtitles(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]))).toThrow(/binary/);
  });
});

describe('formatSrt', () => {
  it('numbers cues from 1 and writes SRT timestamps', () => {
    const srt = formatSrt([{ startMs: 3_723_004, endMs: 3_724_000, text: 'Ñandú' }]);
    expect(srt).toBe('1\n01:02:03,004 --> 01:02:04,000\nÑandú\n');
  });

  it('round-trips through the parser', () => {
    const parsed = parseSubtitles(utf8(SRT));
    expect(parseSubtitles(utf8(formatSrt(parsed.cues))).cues).toEqual(parsed.cues);
  });
});

describe('dropCuesAfter', () => {
  it('drops cues starting after the video ends, with a warning', () => {
    const parsed = dropCuesAfter(parseSubtitles(utf8(SRT)), 2_000);
    expect(parsed.cues).toHaveLength(1);
    expect(parsed.warnings.join()).toMatch(/1 cue\(s\) start after the video ends/);
  });
});
