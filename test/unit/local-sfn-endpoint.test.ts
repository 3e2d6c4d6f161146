import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StopExecutionCommand,
  ExecutionDoesNotExist,
  TaskDoesNotExist,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startStepFunctionsEndpoint, type StepFunctionsEndpoint } from '../../infra/local/stepfunctions/sfn-endpoint.ts';

describe('local task token stepFunctions', () => {
  let stepFunctions: StepFunctionsEndpoint;
  let sfn: SFNClient;

  const stopped: string[] = [];

  beforeAll(async () => {
    stepFunctions = await startStepFunctionsEndpoint({
      // Stands in for the execution registry: one running execution, whose task waits on 'token-of-running'.
      stopExecution: (executionArn, error, cause) => {
        if (!executionArn.endsWith(':running')) throw Object.assign(new Error(`no ${executionArn}`), { name: 'ExecutionDoesNotExist' });
        stopped.push(`${executionArn} ${error}: ${cause}`);
        return { stopDate: '2026-01-01T00:00:00.000Z', taskToken: 'token-of-running' };
      },
    });
    // The stock client, configured the way the worker's default-constructed one is by AWS_ENDPOINT_URL_SFN.
    sfn = new SFNClient({
      endpoint: stepFunctions.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
  });

  afterAll(async () => {
    sfn.destroy();
    await stepFunctions.stop();
  });

  it('resolves the waiting task with the output of SendTaskSuccess', async () => {
    const pending = stepFunctions.waitForTask('token-success');

    await sfn.send(new SendTaskSuccessCommand({ taskToken: 'token-success', output: JSON.stringify({ duration: 3.5 }) }));

    await expect(pending.result).resolves.toEqual({ duration: 3.5 });
  });

  it('rejects the waiting task with the error as name and the cause as message on SendTaskFailure', async () => {
    const pending = stepFunctions.waitForTask('token-failure');

    await sfn.send(
      new SendTaskFailureCommand({ taskToken: 'token-failure', error: 'InputInvalidError', cause: 'no video stream' }),
    );

    await expect(pending.result).rejects.toMatchObject({ name: 'InputInvalidError', message: 'no video stream' });
  });

  it('passes each SendTaskHeartbeat to the waiting task', async () => {
    const onHeartbeat = vi.fn();
    const pending = stepFunctions.waitForTask('token-heartbeat', { onHeartbeat });

    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'token-heartbeat' }));
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'token-heartbeat' }));

    expect(onHeartbeat).toHaveBeenCalledTimes(2);
    pending.cancel();
  });

  it('answers TaskDoesNotExist for a token no task waits for', async () => {
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: 'unknown', output: '{}' }))).rejects.toBeInstanceOf(
      TaskDoesNotExist,
    );
  });

  it('refuses reports for a task that stopped waiting', async () => {
    const pending = stepFunctions.waitForTask('token-cancelled');
    pending.cancel();

    await expect(sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'token-cancelled' }))).rejects.toBeInstanceOf(
      TaskDoesNotExist,
    );
  });

  it('accepts a token only once: a second SendTaskSuccess is refused', async () => {
    const pending = stepFunctions.waitForTask('token-once');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: 'token-once', output: '"done"' }));

    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: 'token-once', output: '"again"' }))).rejects.toBeInstanceOf(
      TaskDoesNotExist,
    );
    await expect(pending.result).resolves.toBe('done');
  });

  it('refuses an output that is not JSON and keeps the task waiting', async () => {
    const pending = stepFunctions.waitForTask('token-bad-output');

    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: 'token-bad-output', output: 'not json' }))).rejects.toMatchObject({
      name: 'InvalidOutput',
    });
    await sfn.send(new SendTaskSuccessCommand({ taskToken: 'token-bad-output', output: '{}' }));
    await expect(pending.result).resolves.toEqual({});
  });

  it('stops an execution on StopExecution, and its task token is refused from then on', async () => {
    const pending = stepFunctions.waitForTask('token-of-running');
    const arn = 'arn:aws:states:us-east-1:000000000000:execution:vidp-pipeline:running';

    const answer = await sfn.send(new StopExecutionCommand({ executionArn: arn, error: 'VideoDeleted', cause: 'deleted' }));

    expect(answer.stopDate?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(stopped).toContain(`${arn} VideoDeleted: deleted`);
    await expect(pending.result).rejects.toMatchObject({ name: 'States.Aborted' });
    await expect(sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'token-of-running' }))).rejects.toBeInstanceOf(TaskDoesNotExist);
  });

  it('answers StopExecution for an unknown execution with ExecutionDoesNotExist, as AWS does', async () => {
    await expect(
      sfn.send(new StopExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:vidp-pipeline:nope' })),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
  });
});
