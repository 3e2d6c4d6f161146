import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
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
}

const text = readFileSync(new URL('../../statemachine/pipeline.asl.json', import.meta.url), 'utf8');
const definition = JSON.parse(text) as { States: Record<string, State> };
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

  it('routes every failure of a work step through the temp cleanup to MarkFailed', () => {
    for (const name of ['ClaimJob', 'PrepareSubtitles', 'Transcode', 'RecordResult']) {
      const catchers = state(name).Catch ?? [];
      expect(catchers.find((c) => c.ErrorEquals.includes('States.ALL'))?.Next, name).toBe('CleanUpTempAfterFailure');
    }
    expect(state('CleanUpTempAfterFailure').Next).toBe('MarkFailed');
  });

  it('cleans temp/ before the record says failed, so a retry that starts then keeps its working files', () => {
    const failurePath = ['CleanUpTempAfterFailure', 'MarkFailed'];
    expect(state(failurePath[0]!).Next).toBe(failurePath[1]);
    expect(state('MarkFailed').Next).not.toBe('CleanUpTempAfterFailure');
  });

  it('ends a duplicate upload event at the claim, quietly', () => {
    const duplicate = state('ClaimJob').Catch?.find((c) => c.ErrorEquals.includes('DynamoDB.ConditionalCheckFailedException'));
    expect(duplicate?.Next).toBe('IgnoreDuplicateUpload');
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

  it('retries a subtitle service that fails for a while, but not a refused or broken URL', () => {
    expect(retrierFor('PrepareSubtitles', 'SubtitlesUnavailableError')).toMatchObject({ MaxAttempts: 3, BackoffRate: 2 });
    for (const error of ['SubtitlesUrlRefusedError', 'SubtitlesFetchFailedError', 'SubtitlesInvalidError']) {
      expect(retrierFor('PrepareSubtitles', error), error).toBeUndefined();
    }
  });

  it('saves only from processing, and only for the execution that claimed the record', () => {
    const parameters = state('RecordResult').Parameters as { ConditionExpression: string; ExpressionAttributeNames: Record<string, string> };
    expect(parameters.ConditionExpression).toBe('#status = :processing AND #execution = :execution');
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
