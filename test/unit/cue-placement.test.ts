import { describe, expect, it } from 'vitest';
import { assTagsOf, placementFromAssTags, placementFromVttSettings } from '../../functions/core/cue-placement.ts';
import { formatSrt, parseSubtitles } from '../../functions/core/subtitles.ts';

const utf8 = (text: string) => new TextEncoder().encode(text);

describe('WebVTT cue settings', () => {
  it.each([
    ['', undefined],
    ['align:center', undefined],
    ['line:0', { alignment: 8 }],
    ['line:-1', undefined],
    ['line:2 align:start', { alignment: 7 }],
    ['align:end', { alignment: 3 }],
    ['line:90%', { alignment: 8, at: { x: 50, y: 90 } }],
    ['line:90%,end', { alignment: 2, at: { x: 50, y: 90 } }],
    ['line:50%,center position:25%,line-left', { alignment: 4, at: { x: 25, y: 50 } }],
    ['position:80% align:end', { alignment: 3, at: { x: 80, y: 100 - (10 / 288) * 100 } }],
    ['line:120%', { alignment: 8, at: { x: 50, y: 100 } }],
  ])('"%s" places the cue at %j', (settings, placement) => {
    expect(placementFromVttSettings(settings).placement).toEqual(placement);
  });

  it('names the settings it cannot draw', () => {
    expect(placementFromVttSettings('vertical:rl size:50% region:fred line:0').ignored).toEqual(['vertical', 'region', 'size']);
  });

  it('become the ASS tags libass reads, in its 384x288 script space', () => {
    expect(assTagsOf({ alignment: 8, at: { x: 50, y: 90 } })).toBe('{\\an8\\pos(192,259.2)}');
    expect(assTagsOf({ alignment: 8 })).toBe('{\\an8}');
    expect(assTagsOf(undefined)).toBe('');
  });

  it('are parsed from a WebVTT file and burned in as a leading override block', () => {
    const parsed = parseSubtitles(utf8('WEBVTT\n\nintro\n00:00:00.000 --> 00:00:01.000 line:10% align:start\nHello\n'));
    expect(parsed.cues[0]).toEqual({ startMs: 0, endMs: 1000, text: 'Hello', placement: { alignment: 7, at: { x: 0, y: 10 } } });
    expect(formatSrt(parsed.cues)).toBe('1\n00:00:00,000 --> 00:00:01,000\n{\\an7\\pos(0,28.8)}Hello\n');
  });

  it('that cannot be drawn are reported once, with the number of cues', () => {
    const vtt = 'WEBVTT\n\n00:00:00.000 --> 00:00:01.000 vertical:rl\n縦\n\n00:00:01.000 --> 00:00:02.000 vertical:lr\n書き\n';
    expect(parseSubtitles(utf8(vtt)).warnings).toEqual([
      'The WebVTT cue setting "vertical" is not supported and was ignored (2 cues): those cues are burned as horizontal text',
    ]);
  });
});

describe('SRT placement tags', () => {
  it('reads \\an, the legacy \\a and \\pos, keeping the block\'s other tags for libass', () => {
    expect(placementFromAssTags('{\\an9\\b1}Hi')).toEqual({ placement: { alignment: 9 }, text: '{\\b1}Hi' });
    expect(placementFromAssTags('{\\a6}Top')).toEqual({ placement: { alignment: 8 }, text: 'Top' });
    expect(placementFromAssTags('{\\pos(96,144)}Here')).toEqual({ placement: { alignment: 2, at: { x: 25, y: 50 } }, text: 'Here' });
    expect(placementFromAssTags('{\\i1}Plain')).toEqual({ text: '{\\i1}Plain' });
  });
});

