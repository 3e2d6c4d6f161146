import type { JobCost } from '../../../functions/core/video.ts';

/** Fargate on-demand, Linux/x86, us-east-1 (per hour). Override with the worker's FARGATE_*_HOUR_USD. */
export const FARGATE_PRICES = { vcpuHourUsd: 0.04048, gbHourUsd: 0.004445 } as const;

export interface FargateTaskSize {
  vcpu: number;
  memoryGb: number;
  prices?: { vcpuHourUsd: number; gbHourUsd: number };
}

/**
 * Fargate bills the task's vCPU and memory per second from the start of the image pull until it stops,
 * with a one-minute minimum. `seconds` is what the worker measured of it (its own run time).
 */
export function estimateFargateCost(input: FargateTaskSize & { seconds: number }): JobCost {
  const prices = input.prices ?? FARGATE_PRICES;
  const billedSeconds = Math.max(60, Math.ceil(input.seconds));
  const usd = ((input.vcpu * prices.vcpuHourUsd + input.memoryGb * prices.gbHourUsd) * billedSeconds) / 3600;
  return {
    estimated_usd: Math.round(usd * 1e6) / 1e6,
    vcpu: input.vcpu,
    memory_gb: input.memoryGb,
    billed_seconds: billedSeconds,
  };
}
