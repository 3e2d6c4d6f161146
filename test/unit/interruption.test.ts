import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { TaskInterruptedError } from '../../functions/core/errors.ts';
import { stopOnSigterm } from '../../containers/ffmpeg/src/interruption.ts';

const asProcess = (emitter: EventEmitter) => emitter as unknown as NodeJS.Process;

describe('stopOnSigterm (the worker on SIGTERM)', () => {
  it('stays quiet until SIGTERM, then aborts with a retryable TaskInterruptedError naming a Spot interruption', () => {
    const sigterm = new EventEmitter();
    const warn = vi.fn();
    const signal = stopOnSigterm(asProcess(sigterm), 'FARGATE_SPOT', { warn });
    expect(signal.aborted).toBe(false);

    sigterm.emit('SIGTERM');

    expect(signal.reason).toBeInstanceOf(TaskInterruptedError);
    expect(signal.reason).toMatchObject({ code: 'task_interrupted', message: expect.stringMatching(/Fargate Spot task was interrupted/) });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/SIGTERM/), { capacityProvider: 'FARGATE_SPOT' });
  });

  it('on FARGATE says the task was stopped (on-demand is never reclaimed: a StopTask), and listens for one SIGTERM only', () => {
    const sigterm = new EventEmitter();
    const signal = stopOnSigterm(asProcess(sigterm), 'FARGATE', { warn: () => undefined });

    sigterm.emit('SIGTERM');

    expect(signal.reason).toMatchObject({ message: 'The task was stopped before the video was done' });
    expect(sigterm.listenerCount('SIGTERM')).toBe(0);
  });
});
