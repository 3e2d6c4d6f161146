/**
 * Bytes per second and time left for a progress display, smoothed: uploads confirm in whole parts (16 MiB
 * or more at a time), so the raw rate between two confirmations jumps; an exponentially weighted average
 * with a half-life in time (not in samples) gives a figure a person can read.
 */
export interface TransferRate {
  /** Records that `bytes` (a running total) were done at `atMs` (default: now). */
  sample(bytes: number, atMs?: number): void;
  /** Smoothed bytes per second; undefined until two samples at different times. */
  bytesPerSecond(): number | undefined;
  /** Seconds until `totalBytes` at the current rate; undefined while the rate is unknown or zero. */
  secondsLeft(totalBytes: number): number | undefined;
}

export function createTransferRate(options: { halfLifeMs?: number; now?: () => number } = {}): TransferRate {
  const halfLifeMs = options.halfLifeMs ?? 3_000;
  const now = options.now ?? (() => Date.now());
  let last: { bytes: number; at: number } | undefined;
  let rate: number | undefined;
  return {
    sample(bytes, atMs = now()) {
      if (last === undefined) {
        last = { bytes, at: atMs };
        return;
      }
      const elapsed = atMs - last.at;
      if (elapsed <= 0) return;
      const instant = ((bytes - last.bytes) / elapsed) * 1000;
      const weight = 1 - 0.5 ** (elapsed / halfLifeMs);
      rate = rate === undefined ? instant : rate + weight * (instant - rate);
      last = { bytes, at: atMs };
    },
    bytesPerSecond: () => rate,
    secondsLeft(totalBytes) {
      if (rate === undefined || rate <= 0 || last === undefined) return undefined;
      return Math.max(0, totalBytes - last.bytes) / rate;
    },
  };
}
