import { afterEach, describe, expect, it, vi } from 'vitest';
import { startScheduler, type ScheduledEvent } from '../../infra/local/events/scheduler.ts';

afterEach(() => vi.useRealTimers());

describe('the local scheduler', () => {
  it('runs a schedule on its interval with an EventBridge scheduled event', async () => {
    vi.useFakeTimers();
    const events: ScheduledEvent[] = [];
    const scheduler = startScheduler([{ name: 'cleanup', everyMs: 1000, run: async (event) => void events.push(event) }], () => {});

    await vi.advanceTimersByTimeAsync(3500);
    await scheduler.stop();
    await vi.advanceTimersByTimeAsync(3000);

    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({ 'detail-type': 'Scheduled Event', source: 'aws.events', resources: [expect.stringContaining('rule/cleanup')] });
  });

  it('never starts a run while the previous one of the same schedule is still going', async () => {
    vi.useFakeTimers();
    let running = 0;
    let most = 0;
    const scheduler = startScheduler(
      [
        {
          name: 'slow',
          everyMs: 100,
          run: async () => {
            running += 1;
            most = Math.max(most, running);
            await new Promise((resolve) => setTimeout(resolve, 350));
            running -= 1;
          },
        },
      ],
      () => {},
    );

    await vi.advanceTimersByTimeAsync(1000);
    const stopped = scheduler.stop();
    await vi.advanceTimersByTimeAsync(400);
    await stopped;

    expect(most).toBe(1);
  });

  it('runs a schedule on demand, returning what its target returned, and logs a failed run without stopping', async () => {
    const lines: string[] = [];
    let calls = 0;
    const scheduler = startScheduler(
      [
        {
          name: 'cleanup',
          everyMs: 0,
          run: async () => {
            calls += 1;
            if (calls === 1) throw new Error('S3 is down');
            return { temp_objects_deleted: 2 };
          },
        },
      ],
      (line) => lines.push(line),
    );

    await expect(scheduler.runNow('cleanup')).rejects.toThrow('S3 is down');
    await expect(scheduler.runNow('cleanup')).resolves.toEqual({ temp_objects_deleted: 2 });
    await expect(scheduler.runNow('nope')).rejects.toThrow('No schedule named nope');
    expect(lines[0]).toBe('[schedule] cleanup failed: S3 is down');
    await scheduler.stop();
  });
});
