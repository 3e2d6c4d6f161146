import { describe, expect, it } from 'vitest';
import { DEFAULT_FARGATE_SPOT_DISCOUNT, estimateFargateCost, FARGATE_PRICES } from '../../containers/ffmpeg/src/cost.ts';

describe('estimateFargateCost', () => {
  it('bills vCPU-hours and GB-hours at the prices given', () => {
    const prices = { vcpuHourUsd: 0.04, gbHourUsd: 0.005 };

    expect(estimateFargateCost({ vcpu: 2, memoryGb: 4, seconds: 1800, prices })).toEqual({
      estimated_usd: 0.05,
      capacity_provider: 'FARGATE',
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

  it('prices a Spot task at the discount given off on-demand, and names the capacity', () => {
    const prices = { vcpuHourUsd: 0.04, gbHourUsd: 0.005 };

    const spot = estimateFargateCost({ vcpu: 2, memoryGb: 4, seconds: 1800, prices, capacityProvider: 'FARGATE_SPOT', spotDiscount: 0.7 });

    expect(spot).toMatchObject({ capacity_provider: 'FARGATE_SPOT', billed_seconds: 1800 });
    expect(spot.estimated_usd).toBeCloseTo(0.05 * 0.3, 6);
  });

  it('prices Spot at the default discount (half of on-demand) when none is given, and on-demand at full price', () => {
    const task = { vcpu: 2, memoryGb: 4, seconds: 3600 };
    const onDemand = estimateFargateCost({ ...task, capacityProvider: 'FARGATE' }).estimated_usd;

    expect(DEFAULT_FARGATE_SPOT_DISCOUNT).toBe(0.5);
    expect(estimateFargateCost({ ...task, capacityProvider: 'FARGATE_SPOT' }).estimated_usd).toBeCloseTo(onDemand / 2, 6);
    expect(onDemand).toBeCloseTo(2 * FARGATE_PRICES.vcpuHourUsd + 4 * FARGATE_PRICES.gbHourUsd, 6);
  });
});
