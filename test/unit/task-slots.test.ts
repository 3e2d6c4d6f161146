import { describe, expect, it } from 'vitest';
import { TaskSlots } from '../../infra/local/ecs/task-slots.ts';

describe('TaskSlots', () => {
  it('hands out slots up to the capacity, then lines tasks up first come, first served', async () => {
    const slots = new TaskSlots(2);
    const [a, b, c, d] = [slots.take(), slots.take(), slots.take(), slots.take()];
    const started: string[] = [];
    void c!.ready.then(() => started.push('c'));
    void d!.ready.then(() => started.push('d'));
    expect([a!.queued, b!.queued, c!.queued, d!.queued]).toEqual([false, false, true, true]);
    expect({ running: slots.running, waiting: slots.waiting }).toEqual({ running: 2, waiting: 2 });

    a!.release();
    await c!.ready;
    b!.release();
    await d!.ready;

    expect(started).toEqual(['c', 'd']);
    expect({ running: slots.running, waiting: slots.waiting }).toEqual({ running: 2, waiting: 0 });
  });

  it('lets a task leave the line, and counts a second release of a slot once', () => {
    const slots = new TaskSlots(1);
    const running = slots.take();
    const leaving = slots.take();
    leaving.release();
    expect(slots.waiting).toBe(0);
    running.release();
    running.release();
    expect(slots.running).toBe(0);
  });

  it('refuses a capacity below one', () => {
    expect(() => new TaskSlots(0)).toThrow(/at least 1/);
  });
});
