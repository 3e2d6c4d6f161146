import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { lambdaInvokeIntegration } from '../../infra/local/stepfunctions/integrations/lambda.ts';
import type { JsonValue } from '../../infra/local/json.ts';
import { integrationFor, type TaskInvocation } from '../../infra/local/stepfunctions/task-integration.ts';
import { createWorkflow } from '../../infra/local/stepfunctions/state-machine.ts';

const invocation: TaskInvocation = {
  task: { name: 'PrepareSubtitles', resource: 'arn:aws:states:::lambda:invoke', parameters: {} },
  execution: { name: 'execution', taskToken: 'token' },
};

describe('createWorkflow', () => {
  it('refuses a definition with a Task whose resource has no local integration', () => {
    const definition: StateMachineDefinition = {
      StartAt: 'Inner',
      States: {
        Inner: {
          Type: 'Parallel',
          Branches: [{ StartAt: 'Publish', States: { Publish: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish', End: true } } }],
          End: true,
        },
      },
    };

    expect(() => createWorkflow({ definition, integrations: {} })).toThrow('Publish (arn:aws:states:::sns:publish)');
  });

  it('serves each Task by the integration of its resource, bound to the execution', async () => {
    const definition: StateMachineDefinition = {
      StartAt: 'Remember',
      States: { Remember: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', ResultPath: '$.written', End: true } },
    };
    const seen: unknown[] = [];
    const workflow = createWorkflow({
      definition,
      integrations: {
        'arn:aws:states:::dynamodb:putItem': async (parameters, { task, execution }) => {
          seen.push({ parameters, stateName: task.name, execution });
          return {};
        },
      },
    });

    const output = await workflow.run({ id: 1 }, executionContext('run-1', 'token-1')).result;

    expect(output).toEqual({ id: 1, written: {} });
    expect(seen).toEqual([{ parameters: { id: 1 }, stateName: 'Remember', execution: { name: 'run-1', taskToken: 'token-1' } }]);
  });

  it('serves every action of an AWS SDK service from its `:*` integration', () => {
    const serveS3 = async () => null;

    expect(integrationFor({ 'arn:aws:states:::aws-sdk:s3:*': serveS3 }, 'arn:aws:states:::aws-sdk:s3:deleteObject')).toBe(serveS3);
    expect(integrationFor({ 'arn:aws:states:::aws-sdk:s3:*': serveS3 }, 'arn:aws:states:::aws-sdk:sqs:sendMessage')).toBeUndefined();
  });
});

describe('lambda:invoke integration', () => {
  const functionArn = 'arn:aws:lambda:us-east-1:000000000000:function:vidp-prepare-subtitles';
  const integrationWith = (handler: (event: unknown) => unknown) =>
    lambdaInvokeIntegration({ functions: { [functionArn]: 'functions/pipeline/prepare-subtitles.ts' }, loadHandler: async () => handler })[
      'arn:aws:states:::lambda:invoke'
    ]!;

  it('calls the handler with the Payload and answers like Lambda Invoke, after a trip through JSON', async () => {
    const invoke = integrationWith((event) => ({ received: event, at: new Date(0), missing: undefined }));

    const result = await invoke({ FunctionName: functionArn, Payload: { videoId: 'v1' } }, invocation);

    expect(result).toEqual({
      Payload: { received: { videoId: 'v1' }, at: '1970-01-01T00:00:00.000Z' },
      StatusCode: 200,
      ExecutedVersion: '$LATEST',
    });
  });

  it('fails the Task with the error type as Error and Lambda’s JSON as Cause when the handler throws', async () => {
    class SubtitlesNotReadyError extends Error {
      override name = 'SubtitlesNotReadyError';
    }
    const invoke = integrationWith(() => {
      throw new SubtitlesNotReadyError('not uploaded yet');
    });

    const failure = (await invoke({ FunctionName: functionArn, Payload: {} }, invocation).catch((error: Error) => error)) as Error;

    expect(failure.name).toBe('SubtitlesNotReadyError');
    expect(JSON.parse(failure.message)).toEqual({ errorType: 'SubtitlesNotReadyError', errorMessage: 'not uploaded yet' });
  });

  it('fails with Lambda.ResourceNotFoundException for a function it does not know', async () => {
    const invoke = integrationWith(() => null);

    await expect(invoke({ FunctionName: 'nope', Payload: {} } as JsonValue, invocation)).rejects.toMatchObject({
      name: 'Lambda.ResourceNotFoundException',
    });
  });
});

function executionContext(name: string, token: string) {
  return {
    Execution: { Id: `arn:${name}`, Name: name, StartTime: new Date().toISOString(), Input: null, RoleArn: 'arn:role' },
    StateMachine: { Id: 'arn:sm', Name: 'sm' },
    Task: { Token: token },
  };
}
