import { describe, expect, it, vi } from 'vitest';
import type { JsonValue } from '../../infra/local/json.ts';
import { capacityProviderOf, LocalTaskLedger, SPOT_INTERRUPTION_REASON } from '../../infra/local/ecs/capacity-providers.ts';

const spot = [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }];

describe('capacityProviderOf (RunTask placement, by ECS rules)', () => {
  it('places a task on the provider its strategy names, and on FARGATE for a LaunchType of FARGATE', () => {
    expect(capacityProviderOf({ CapacityProviderStrategy: spot })).toBe('FARGATE_SPOT');
    expect(capacityProviderOf({ CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }] })).toBe('FARGATE');
    expect(capacityProviderOf({ LaunchType: 'FARGATE' })).toBe('FARGATE');
  });

  it('places one task by the base first, then the first provider with a weight', () => {
    const strategy: JsonValue = [
      { CapacityProvider: 'FARGATE_SPOT', Weight: 4 },
      { CapacityProvider: 'FARGATE', Weight: 1, Base: 1 },
    ];
    expect(capacityProviderOf({ CapacityProviderStrategy: strategy })).toBe('FARGATE');
    expect(capacityProviderOf({ CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 0 }, ...spot] })).toBe('FARGATE_SPOT');
  });

  it('refuses a LaunchType together with a strategy, as ECS does', () => {
    expect(() => capacityProviderOf({ LaunchType: 'FARGATE', CapacityProviderStrategy: spot })).toThrow(
      expect.objectContaining({ name: 'ECS.InvalidParameterException', message: expect.stringMatching(/both a launch type and capacity provider strategy/) }),
    );
  });

  it('refuses a provider the cluster does not have, an empty strategy, one without any weight (the API default is 0) and two bases', () => {
    const twoBases = [
      { CapacityProvider: 'FARGATE', Weight: 1, Base: 1 },
      { CapacityProvider: 'FARGATE_SPOT', Weight: 1, Base: 1 },
    ];
    for (const strategy of [[{ CapacityProvider: 'my-ec2-asg', Weight: 1 }], [], [{ CapacityProvider: 'FARGATE' }], twoBases]) {
      expect(() => capacityProviderOf({ CapacityProviderStrategy: strategy }), JSON.stringify(strategy)).toThrow(
        expect.objectContaining({ name: 'ECS.InvalidParameterException' }),
      );
    }
  });
});

describe('LocalTaskLedger.interruptSpotTask', () => {
  const task = (taskId: string, capacityProvider: 'FARGATE' | 'FARGATE_SPOT') => ({
    taskArn: `arn:aws:ecs:us-east-1:000000000000:task/vidp-local/${taskId}`,
    label: `video-${taskId}`,
    capacityProvider,
    startedAt: '2026-12-01T10:00:00.000Z',
  });

  it('stops a running Spot task (found by ARN, id or video id) with ECS’s Spot reason, and records it', () => {
    const ledger = new LocalTaskLedger();
    const stop = vi.fn();
    ledger.started(task('a1', 'FARGATE_SPOT'), stop);

    const interrupted = ledger.interruptSpotTask('video-a1');

    expect(stop).toHaveBeenCalledWith(SPOT_INTERRUPTION_REASON);
    expect(interrupted).toMatchObject({ capacityProvider: 'FARGATE_SPOT', stoppedReason: SPOT_INTERRUPTION_REASON });
    ledger.stopped(interrupted.taskArn);
    expect(ledger.list()[0]).toMatchObject({ stoppedReason: SPOT_INTERRUPTION_REASON, stoppedAt: expect.any(String) });
  });

  it('refuses a task on FARGATE (on-demand is never interrupted: 409) and one that is not running (404)', () => {
    const ledger = new LocalTaskLedger();
    const stop = vi.fn();
    ledger.started(task('b2', 'FARGATE'), stop);
    ledger.started(task('c3', 'FARGATE_SPOT'), stop);
    ledger.stopped(task('c3', 'FARGATE_SPOT').taskArn);

    expect(() => ledger.interruptSpotTask('b2')).toThrow(expect.objectContaining({ statusCode: 409 }));
    expect(() => ledger.interruptSpotTask('c3')).toThrow(expect.objectContaining({ statusCode: 404 }));
    expect(stop).not.toHaveBeenCalled();
  });
});
