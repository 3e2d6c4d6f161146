import { SendTaskHeartbeatCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../functions/core/log.ts';
import { startHeartbeat } from '../../containers/ffmpeg/src/heartbeat.ts';

const sfnMock = mockClient(SFNClient);
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const deps = () => ({ sfn: new SFNClient({ region: 'eu-west-1' }), logger: quiet, heartbeatIntervalMs: 30_000 });

beforeEach(() => {
  sfnMock.reset();
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('startHeartbeat', () => {
  it('beats as soon as the worker starts, not one interval later: a cold start has used up part of HeartbeatSeconds already', async () => {
    sfnMock.on(SendTaskHeartbeatCommand).resolves({});
    const heartbeat = startHeartbeat('token-1', deps(), () => {});
    await vi.advanceTimersByTimeAsync(0);
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskHeartbeatCommand, 1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskHeartbeatCommand, 2);
    await heartbeat.stop();
  });

  it('stops the job at the first beat when the task is gone already (stopped while the task started)', async () => {
    sfnMock.on(SendTaskHeartbeatCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    const onTaskGone = vi.fn();
    const heartbeat = startHeartbeat('token-1', deps(), onTaskGone);
    await vi.advanceTimersByTimeAsync(0);
    expect(onTaskGone).toHaveBeenCalledTimes(1);
    await heartbeat.stop();
  });
});
