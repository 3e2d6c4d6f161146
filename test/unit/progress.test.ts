import { describe, expect, it } from 'vitest';
import { createProgressWriter, parseProgress } from '../../containers/ffmpeg/src/progress.ts';
import { createLogger } from '../../functions/core/log.ts';

describe('parseProgress', () => {
  const block = (outTimeUs: string, progress = 'continue') =>
    [`frame=25`, `out_time_us=${outTimeUs}`, `out_time_ms=${outTimeUs}`, `out_time=00:00:01.000000`, `speed=30x`, `progress=${progress}`].join('\n');

  it('turns out_time_us into a percentage of the duration', () => {
    expect(parseProgress(block('1000000'), 4)).toEqual({ outTimeSeconds: 1, percent: 25, finished: false });
  });

  it('falls back to out_time_ms, which FFmpeg prints in microseconds as well', () => {
    expect(parseProgress('out_time_ms=3000000\nprogress=continue', 4).percent).toBe(75);
  });

  it('reports 100 and finished on progress=end', () => {
    expect(parseProgress(block('3960000', 'end'), 4)).toMatchObject({ percent: 100, finished: true });
  });

  it('keeps the last values when a chunk holds several blocks', () => {
    expect(parseProgress(`${block('1000000')}\n${block('2000000')}`, 4).percent).toBe(50);
  });

  it('ignores N/A before the first frame', () => {
    expect(parseProgress(block('N/A'), 4)).toEqual({ outTimeSeconds: undefined, percent: undefined, finished: false });
  });

  it('has no percentage when the duration is unknown', () => {
    expect(parseProgress(block('1000000'), undefined).percent).toBeUndefined();
  });

  it('never goes past 100', () => {
    expect(parseProgress(block('9000000'), 4).percent).toBe(100);
  });
});

describe('createProgressWriter', () => {
  function writer(updateProgress: (videoId: string, percent: number) => Promise<boolean>) {
    const logs: Record<string, unknown>[] = [];
    const logger = createLogger({}, (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
    // An hour between writes: only the first report and the final one can get through.
    return { logs, progress: createProgressWriter('video-1', { videos: { updateProgress }, logger, progressIntervalMs: 3_600_000 }) };
  }

  it('writes one report per interval, and the final one in any case, after the write in flight', async () => {
    const written: number[] = [];
    const { progress } = writer(async (_videoId, percent) => {
      written.push(percent);
      return true;
    });

    progress.report(10, { final: false });
    progress.report(20, { final: false });
    progress.report(100, { final: true });
    await progress.settle();

    expect(written).toEqual([10, 100]);
  });

  it('only logs a write that failed: progress is advisory', async () => {
    const { progress, logs } = writer(() => Promise.reject(new Error('throttled')));

    progress.report(10, { final: false });
    await progress.settle();

    expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'progress write failed' }));
  });
});
