import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
}
interface State {
  Type: string;
  Resource?: string;
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string | null }[];
  Retry?: Retrier[];
  Next?: string;
  End?: boolean;
  HeartbeatSeconds?: number;
  TimeoutSeconds?: number;
  Parameters?: Record<string, unknown>;
  ItemProcessor?: { States: Record<string, State> };
}

const text = readFileSync(new URL('../../statemachine/pipeline.asl.json', import.meta.url), 'utf8');
const definition = JSON.parse(text) as { States: Record<string, State>; TimeoutSeconds?: number };
const state = (name: string) => definition.States[name]!;
const retrierFor = (name: string, error: string) => state(name).Retry?.find((retrier) => retrier.ErrorEquals.includes(error));

describe('statemachine/pipeline.asl.json', () => {
  it('is a valid Amazon States Language definition', () => {
    const { isValid, errors } = aslValidator(definition);
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
  });

  it('stays on JSONPath: no JSONata, no Assign (the local runner ignores them silently)', () => {
    expect(text).not.toMatch(/"QueryLanguage"\s*:\s*"JSONata"/);
    expect(text).not.toMatch(/"Assign"\s*:/);
  });

  // temp/ goes before the record says failed: a retry that starts right after keeps its working files.
  it('routes every failure of a work step through the temp cleanup to MarkFailed', () => {
    for (const name of ['ClaimJob', 'PrepareSubtitles', 'Transcode', 'RecordResult']) {
      const catchers = state(name).Catch ?? [];
      expect(catchers.find((c) => c.ErrorEquals.includes('States.ALL'))?.Next, name).toBe('CleanUpTempAfterFailure');
    }
    expect(state('CleanUpTempAfterFailure').Next).toBe('MarkFailed');
  });

  it('ends a duplicate upload event after the claim, quietly, and removes an upload no record waits for', () => {
    const claimFailed = state('ClaimJob').Catch?.find((c) => c.ErrorEquals.includes('DynamoDB.ConditionalCheckFailedException'));
    expect(claimFailed?.Next).toBe('FindUnclaimedRecord');
    expect(state('FindUnclaimedRecord').Resource).toBe('arn:aws:states:::dynamodb:getItem');
    const choice = definition.States.IsUploadOrphaned as unknown as { Choices: { Variable: string; IsPresent: boolean; Next: string }[]; Default: string };
    expect(choice.Choices).toEqual([{ Variable: '$.record.Item', IsPresent: true, Next: 'IgnoreDuplicateUpload' }]);
    expect(choice.Default).toBe('DeleteOrphanedUpload');
    expect(state('DeleteOrphanedUpload').Resource).toBe('arn:aws:states:::aws-sdk:s3:deleteObject');
    expect(state('DeleteOrphanedUpload').Next).toBe('IgnoreDuplicateUpload');
    expect(state('IgnoreDuplicateUpload').Type).toBe('Succeed');
  });

  it('retries a worker that died (no heartbeat) and S3 trouble twice, with backoff', () => {
    for (const error of ['States.HeartbeatTimeout', 'StorageUnavailableError']) {
      expect(retrierFor('Transcode', error), error).toMatchObject({ MaxAttempts: 2, BackoffRate: 2 });
      expect(retrierFor('Transcode', error)?.IntervalSeconds).toBeGreaterThan(0);
    }
  });

  it('never retries a hung encode or bad input: they would fail the same way again', () => {
    for (const error of ['States.Timeout', 'TranscodeTimeoutError', 'InputInvalidError', 'States.ALL', 'States.TaskFailed']) {
      expect(retrierFor('Transcode', error), error).toBeUndefined();
    }
  });

  it('bounds the transcode task by a heartbeat and a timeout', () => {
    expect(state('Transcode').HeartbeatSeconds).toBeGreaterThan(60);
    expect(state('Transcode').TimeoutSeconds).toBeGreaterThan(state('Transcode').HeartbeatSeconds!);
  });

  it('leaves a cold Fargate start room before the first heartbeat is due', () => {
    // HeartbeatSeconds counts from the state's start: placement, ENI, the image pull (~500 MB at a few tens of
    // MB/s) and container start come first. Fargate documents no bound; 3 minutes covers the cold starts
    // reported for images of this size, plus one missed heartbeat interval of the worker (30 s).
    const coldFargateStartSeconds = 180;
    const workerHeartbeatIntervalSeconds = 30;
    expect(state('Transcode').HeartbeatSeconds).toBeGreaterThanOrEqual(coldFargateStartSeconds + workerHeartbeatIntervalSeconds);
  });

  it('retries RunTask placement failures (reported as AmazonECS.Unknown) with backoff', () => {
    const retrier = retrierFor('Transcode', 'AmazonECS.Unknown');
    expect(retrier?.MaxAttempts).toBeGreaterThanOrEqual(3);
    expect(retrier?.IntervalSeconds).toBeGreaterThan(0);
    expect(retrier?.BackoffRate).toBeGreaterThan(1);
  });

  it('outlives every attempt of every task together, so its own timeout (which skips every Catch) never fires first', () => {
    // Errors RunTask itself answers with: such an attempt ends at once rather than after a whole encode.
    const failsBeforeRunning = (error: string) => error === 'AmazonECS.Unknown' || error.startsWith('ECS.');
    const waits = (retrier: Retrier) =>
      Array.from({ length: retrier.MaxAttempts ?? 3 }, (_, attempt) =>
        Math.min((retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** attempt, retrier.MaxDelaySeconds ?? Infinity),
      ).reduce((sum, wait) => sum + wait, 0);
    // A Pass state leading back into a Task (the Spot fallback into Transcode) enters it, and its retries, once more.
    // A Map's iterations run at once (the planner never makes more parts than its MaxConcurrency): one counts.
    const worstCaseOf = (states: Record<string, State>): number => {
      const entries = (name: string) => 1 + Object.values(states).filter((other) => other.Type === 'Pass' && other.Next === name).length;
      return Object.entries(states).reduce((total, [name, task]) => {
        if (task.Type === 'Map') return total + worstCaseOf(task.ItemProcessor!.States);
        if (task.Type !== 'Task') return total;
        expect(task.TimeoutSeconds, `${name} has a TimeoutSeconds`).toBeGreaterThan(0);
        const retriers = task.Retry ?? [];
        const longAttempts = 1 + retriers.filter((r) => !r.ErrorEquals.every(failsBeforeRunning)).reduce((n, r) => n + (r.MaxAttempts ?? 3), 0);
        return total + entries(name) * (longAttempts * task.TimeoutSeconds! + retriers.reduce((sum, retrier) => sum + waits(retrier), 0));
      }, 0);
    };
    const worstCase = worstCaseOf(definition.States);
    expect(worstCase).toBeGreaterThan(2 * 3 * state('Transcode').TimeoutSeconds!);
    expect(definition.TimeoutSeconds).toBeGreaterThan(worstCase);
  });

  it('retries a subtitle service that fails for a while, but not a refused or broken URL', () => {
    expect(retrierFor('PrepareSubtitles', 'SubtitlesUnavailableError')).toMatchObject({ MaxAttempts: 3, BackoffRate: 2 });
    for (const error of ['SubtitlesUrlRefusedError', 'SubtitlesFetchFailedError', 'SubtitlesInvalidError']) {
      expect(retrierFor('PrepareSubtitles', error), error).toBeUndefined();
    }
  });

  it('saves only from processing, and only for the execution that claimed the record', () => {
    const parameters = state('RecordResult').Parameters as { ConditionExpression: string; ExpressionAttributeNames: Record<string, string> };
    expect(parameters.ConditionExpression).toBe('#status IN (:queued, :processing) AND #execution = :execution');
    expect(parameters.ExpressionAttributeNames['#execution']).toBe('execution_id');
  });

  it('publishes VideoSaved and VideoFailed on the configured event bus, and a failure to publish ends nothing', () => {
    for (const [name, detailType, next] of [
      ['PublishVideoSaved', 'VideoSaved', 'VideoSaved'],
      ['PublishVideoFailed', 'VideoFailed', 'VideoFailed'],
    ] as const) {
      const publish = state(name);
      expect(publish.Resource).toBe('arn:aws:states:::events:putEvents');
      expect(publish.Parameters).toMatchObject({ Entries: [{ EventBusName: '${EventBusName}', DetailType: detailType }] });
      expect(publish.Next).toBe(next);
      expect(publish.Catch?.[0]).toMatchObject({ ErrorEquals: ['States.ALL'], Next: next });
    }
    expect(state('CleanUpTemp').Next).toBe('PublishVideoSaved');
  });

  it('runs Transcode by a capacity provider strategy from the execution, never with a LaunchType (ECS refuses both)', () => {
    const transcode = state('Transcode').Parameters as Record<string, unknown> & {
      Overrides: { ContainerOverrides: { Environment: { Name: string; 'Value.$': string }[] }[] };
    };
    expect(transcode.LaunchType).toBeUndefined();
    expect(transcode.CapacityProviderStrategy).toEqual([{ 'CapacityProvider.$': '$.capacity.provider', Weight: 1 }]);
    expect(state('ReadUploadEvent').Parameters).toMatchObject({ capacity: { provider: '${TranscodeCapacityProvider}' } });
    // The worker prices its run at the capacity it ran on.
    expect(transcode.Overrides.ContainerOverrides[0]!.Environment).toContainEqual({ Name: 'CAPACITY_PROVIDER', 'Value.$': '$.capacity.provider' });
  });

  it('runs an interrupted Spot transcode once more on FARGATE, and fails an interrupted on-demand one', () => {
    const catchers = state('Transcode').Catch!;
    // Before States.ALL: the first matching Catch wins.
    expect(catchers[0]).toEqual({ ErrorEquals: ['TaskInterruptedError'], ResultPath: '$.error', Next: 'CanFallBackToOnDemand' });
    expect(retrierFor('Transcode', 'TaskInterruptedError')).toBeUndefined();
    const choice = definition.States.CanFallBackToOnDemand as State & { Choices: unknown[]; Default: string };
    expect(choice.Choices).toEqual([{ Variable: '$.capacity.provider', StringEquals: 'FARGATE_SPOT', Next: 'FallBackToOnDemand' }]);
    expect(choice.Default).toBe('CleanUpTempAfterFailure');
    const fallback = state('FallBackToOnDemand') as State & { ResultPath: string };
    expect(fallback).toMatchObject({ Type: 'Pass', ResultPath: '$.capacity', Next: 'Transcode' });
    // Bounded: after the fallback the provider is FARGATE, which the Choice never sends back.
    expect(fallback.Parameters).toMatchObject({ provider: 'FARGATE' });
  });

  it('records the capacity the cost was priced at', () => {
    const values = state('RecordResult').Parameters!.ExpressionAttributeValues as Record<string, { M?: Record<string, unknown> }>;
    expect(values[':cost']!.M).toMatchObject({ capacity_provider: { 'S.$': '$.output.cost.capacity_provider' } });
  });

  it('tells every task that runs code which execution it works for, so their log lines carry it', () => {
    for (const name of ['PrepareSubtitles', 'MarkFailed']) {
      expect(state(name).Parameters, name).toMatchObject({ Payload: { 'videoId.$': '$.videoId', 'executionId.$': '$$.Execution.Id' } });
    }
    const transcode = state('Transcode').Parameters as {
      Overrides: { ContainerOverrides: { Environment: { Name: string; 'Value.$': string }[] }[] };
    };
    expect(transcode.Overrides.ContainerOverrides[0]!.Environment).toEqual(
      expect.arrayContaining([
        { Name: 'VIDEO_ID', 'Value.$': '$.videoId' },
        { Name: 'EXECUTION_ID', 'Value.$': '$$.Execution.Id' },
      ]),
    );
  });
});
