import { describe, expect, it } from 'vitest';
import { assTextOf, formatAssScript, subtitleFontSize } from '../../containers/ffmpeg/src/ass-script.ts';
import { parseSubtitles } from '../../functions/core/subtitles.ts';

const utf8 = (text: string) => new TextEncoder().encode(text);

describe('formatAssScript', () => {
  it('writes ffmpeg\'s own SRT header with the job\'s font and size, and one Dialogue per cue in centiseconds', () => {
    const script = formatAssScript([{ startMs: 3_723_004, endMs: 3_724_006, text: 'Ñandú' }], { fontName: 'Noto Sans CJK SC', fontSize: 9 });
    expect(script).toContain('PlayResX: 384\nPlayResY: 288\n');
    expect(script).toContain('\nStyle: Default,Noto Sans CJK SC,9,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0\n');
    expect(script.endsWith('\nDialogue: 0,1:02:03.00,1:02:04.01,Default,,0,0,0,,Ñandú\n')).toBe(true);
  });

  it('places a cue exactly where its WebVTT settings say, with \\an and \\pos', () => {
    const cues = parseSubtitles(utf8('WEBVTT\n\n00:00:00.000 --> 00:00:01.000 line:90% position:25% align:start\nLow left\n')).cues;
    expect(formatAssScript(cues, { fontName: 'DejaVu Sans', fontSize: 16 })).toContain(',,{\\an7\\pos(96,259.2)}Low left\n');
  });
});

describe('assTextOf', () => {
  it('turns the SRT tags libass knows into override tags, as ffmpeg\'s SRT decoder does', () => {
    expect(assTextOf('<i>one</i> <b>two</b> <u>three</u>')).toBe('{\\i1}one{\\i0} {\\b1}two{\\b0} {\\u1}three{\\u0}');
    expect(assTextOf('<font color="#ff8000">orange</font> <font color=red size=20>red</font>')).toBe(
      '{\\c&H0080FF&}orange{\\c} {\\c&H0000FF&\\fs20}red{\\c\\fs}',
    );
  });

  it('keeps the cue\'s own override blocks, draws "{laughs}" as text and writes line breaks as \\N', () => {
    expect(assTextOf('{\\fs24}Big {laughs}\nsecond line')).toBe('{\\fs24}Big \\{laughs\\}\\Nsecond line');
  });

  it('drops other tag-like markup but keeps a lone "<"', () => {
    expect(assTextOf('<span class="x">I <3 it</span>')).toBe('I <3 it');
  });
});

describe('subtitleFontSize', () => {
  it('is libass\' 16 for landscape and scales with the width, the shorter side, for portrait', () => {
    expect(subtitleFontSize(1280, 720)).toBe(16);
    expect(subtitleFontSize(406, 720)).toBe(9);
  });
});
