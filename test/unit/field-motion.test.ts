import { describe, expect, it } from 'vitest';
import { parseIdetSummary } from '../../containers/ffmpeg/src/field-motion.ts';

describe('parseIdetSummary', () => {
  const line = (tff: number, bff: number, progressive: number) =>
    `[Parsed_idet_0 @ 0x55] Multi frame detection: TFF:    ${tff} BFF:     ${bff} Progressive:    ${progressive} Undetermined:     0`;

  it('reads mostly combed frames as motion in every field, mostly progressive ones as film carried as fields', () => {
    expect(parseIdetSummary(line(48, 0, 2))).toBe('fields');
    expect(parseIdetSummary(line(0, 20, 10))).toBe('fields');
    expect(parseIdetSummary(line(0, 0, 50))).toBe('frames');
  });

  it('cannot say from too few frames or without the summary', () => {
    expect(parseIdetSummary(line(2, 0, 3))).toBeUndefined();
    expect(parseIdetSummary('')).toBeUndefined();
  });
});
