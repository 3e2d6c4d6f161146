import type { CapacityProvider, JobCost } from '../../../functions/core/video.ts';

/** Fargate on-demand, Linux/x86, us-east-1 (per hour). Override with the worker's FARGATE_*_HOUR_USD. */
export const FARGATE_PRICES = { vcpuHourUsd: 0.04048, gbHourUsd: 0.004445 } as const;

/**
 * Fargate Linux/ARM64 on-demand prices in us-east-1 (20% below x86), what the deployed task runs on. Other
 * regions differ by a few percent; the estimate on the record is an estimate.
 */
export const FARGATE_ARM64_PRICES = { vcpuHourUsd: 0.03238, gbHourUsd: 0.00356 } as const;

/**
 * Fargate Spot's discount off the on-demand price when none is configured (FARGATE_SPOT_DISCOUNT): 0.5, the
 * low end of the 50–70 % AWS's Spot prices are typically below on-demand (they move with spare capacity, by
 * region and over time). The low end, so that an estimate on a record never undercounts what a Spot run cost.
 */
export const DEFAULT_FARGATE_SPOT_DISCOUNT = 0.5;

export interface FargateTaskSize {
  vcpu: number;
  memoryGb: number;
  /** On-demand prices; Spot is priced as a discount off them. */
  prices?: { vcpuHourUsd: number; gbHourUsd: number };
  /** The capacity the task ran on (default on-demand FARGATE). */
  capacityProvider?: CapacityProvider;
  /** Spot's discount off on-demand, 0 ≤ d < 1 (0.5: half price). Default DEFAULT_FARGATE_SPOT_DISCOUNT. */
  spotDiscount?: number;
}

/**
 * Fargate bills the task's vCPU and memory per second from the start of the image pull until it stops,
 * with a one-minute minimum, Spot and on-demand alike. `seconds` is what the worker measured of it (its own
 * run time). An interrupted Spot attempt is billed too but not counted here: the record prices the run that
 * produced the video.
 */
export function estimateFargateCost(input: FargateTaskSize & { seconds: number }): JobCost {
  const prices = input.prices ?? FARGATE_PRICES;
  const capacityProvider = input.capacityProvider ?? 'FARGATE';
  const priceFactor = capacityProvider === 'FARGATE_SPOT' ? 1 - (input.spotDiscount ?? DEFAULT_FARGATE_SPOT_DISCOUNT) : 1;
  const billedSeconds = Math.max(60, Math.ceil(input.seconds));
  const usd = ((input.vcpu * prices.vcpuHourUsd + input.memoryGb * prices.gbHourUsd) * priceFactor * billedSeconds) / 3600;
  return {
    estimated_usd: Math.round(usd * 1e6) / 1e6,
    capacity_provider: capacityProvider,
    vcpu: input.vcpu,
    memory_gb: input.memoryGb,
    billed_seconds: billedSeconds,
  };
}

/**
 * A segmented job's cost: every task's (the planner, each part, the join), each priced at the capacity it ran
 * on. The record names the capacity that ran most of the billed seconds.
 */
export function totalCost(costs: readonly JobCost[]): JobCost {
  const [first] = costs;
  if (first === undefined) throw new Error('totalCost needs at least one task');
  const secondsOn = (provider: CapacityProvider) =>
    costs.filter((cost) => (cost.capacity_provider ?? 'FARGATE') === provider).reduce((sum, cost) => sum + cost.billed_seconds, 0);
  return {
    estimated_usd: Math.round(costs.reduce((sum, cost) => sum + cost.estimated_usd, 0) * 1e6) / 1e6,
    capacity_provider: secondsOn('FARGATE_SPOT') > secondsOn('FARGATE') ? 'FARGATE_SPOT' : 'FARGATE',
    vcpu: first.vcpu,
    memory_gb: first.memory_gb,
    billed_seconds: costs.reduce((sum, cost) => sum + cost.billed_seconds, 0),
  };
}
