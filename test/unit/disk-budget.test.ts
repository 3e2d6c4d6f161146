import { describe, expect, it } from 'vitest';
import { ensureDiskRoom, worstCaseBitsPerPixel, worstCaseOutputBytes } from '../../containers/ffmpeg/src/disk-budget.ts';

const hourOf1080p = { durationSeconds: 3600, width: 1920, height: 1080, framesPerSecond: 30, audioBitsPerSecond: 128_000 };

describe('the disk budget of an encode', () => {
  it('doubles the worst-case bitrate every 6 CRF steps down', () => {
    expect(worstCaseBitsPerPixel(17) / worstCaseBitsPerPixel(23)).toBeCloseTo(2, 5);
    expect(worstCaseBitsPerPixel(29) / worstCaseBitsPerPixel(23)).toBeCloseTo(0.5, 5);
  });

  it('lets an hour of 1080p at the default CRF onto Fargate\'s default 20 GiB of ephemeral storage', async () => {
    const plan = { ...hourOf1080p, crf: 23 };
    expect(worstCaseOutputBytes(plan)).toBeLessThan(20 * 2 ** 30);
    await expect(ensureDiskRoom('/work', plan, async () => 20 * 2 ** 30)).resolves.toBeUndefined();
  });

  it('refuses three hours of 1080p at CRF 12 on the same disk, naming what it would need', async () => {
    const plan = { ...hourOf1080p, durationSeconds: 3 * 3600, crf: 12 };
    await expect(ensureDiskRoom('/work', plan, async () => 20 * 2 ** 30)).rejects.toMatchObject({
      code: 'output_too_large',
      details: { needed_bytes: worstCaseOutputBytes(plan), free_bytes: 20 * 2 ** 30 },
    });
  });
});
