import { describe, expect, it } from 'vitest';
import { estimateFargateCost, FARGATE_PRICES } from '../../containers/ffmpeg/src/cost.ts';

describe('estimateFargateCost', () => {
  it('bills vCPU-hours and GB-hours at the prices given', () => {
    const prices = { vcpuHourUsd: 0.04, gbHourUsd: 0.005 };

    expect(estimateFargateCost({ vcpu: 2, memoryGb: 4, seconds: 1800, prices })).toEqual({
      estimated_usd: 0.05,
      vcpu: 2,
      memory_gb: 4,
      billed_seconds: 1800,
    });
  });

  it('bills at on-demand prices when none are given', () => {
    expect(estimateFargateCost({ vcpu: 1, memoryGb: 0, seconds: 3600 }).estimated_usd).toBe(FARGATE_PRICES.vcpuHourUsd);
    expect(estimateFargateCost({ vcpu: 0, memoryGb: 1, seconds: 3600 }).estimated_usd).toBe(FARGATE_PRICES.gbHourUsd);
  });

  it('bills at least a minute, rounding seconds up', () => {
    expect(estimateFargateCost({ vcpu: 1, memoryGb: 2, seconds: 5 }).billed_seconds).toBe(60);
    expect(estimateFargateCost({ vcpu: 1, memoryGb: 2, seconds: 90.2 }).billed_seconds).toBe(91);
  });
});
