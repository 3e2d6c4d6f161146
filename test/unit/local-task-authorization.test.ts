import { describe, expect, it, vi } from 'vitest';
import type { AuthorizationRequest } from '../../infra/local/iam/authorizer.ts';
import { DEFAULT_LOCAL_ACCOUNT } from '../../infra/local/iam/local-arns.ts';
import type { JsonValue } from '../../infra/local/json.ts';
import { authorizedIntegrations } from '../../infra/local/stepfunctions/task-authorization.ts';
import type { TaskInvocation } from '../../infra/local/stepfunctions/task-integration.ts';

const RUN_TASK = 'arn:aws:states:::ecs:runTask.waitForTaskToken';
const UPDATE_ITEM = 'arn:aws:states:::dynamodb:updateItem';
const TASK_DEFINITION = {
  taskRoleArn: 'arn:aws:iam::000000000000:role/task',
  executionRoleArn: 'arn:aws:iam::000000000000:role/execution',
  tags: [{ key: 'app', value: 'vidp' }],
};

const invocation = (resource: string): TaskInvocation => ({
  task: { name: resource === RUN_TASK ? 'Transcode' : 'ClaimJob', resource } as TaskInvocation['task'],
  execution: { name: 'execution-1', taskToken: 'token' },
});

function integrationsAllowing(allowed: (request: AuthorizationRequest) => boolean) {
  const seen: AuthorizationRequest[][] = [];
  const served = vi.fn(async (_parameters: JsonValue, call: TaskInvocation) => ({ served: call.ecsTaskId ?? null }));
  const integrations = authorizedIntegrations(
    { [RUN_TASK]: served, [UPDATE_ITEM]: served },
    {
      account: DEFAULT_LOCAL_ACCOUNT,
      taskDefinition: () => TASK_DEFINITION,
      authorize: async (requests) => {
        seen.push([...requests]);
        const refused = requests.find((request) => !allowed(request));
        return refused === undefined
          ? { allowed: true }
          : {
              allowed: false,
              denial: { action: refused.action, resource: refused.resource, roleName: 'pipeline', principalArn: 'arn:aws:sts::000000000000:assumed-role/pipeline/execution-1', reason: 'no-allow' },
            };
      },
    },
  );
  return { integrations, served, seen };
}

const runTask = { Cluster: 'arn:aws:ecs:us-east-1:000000000000:cluster/local', TaskDefinition: 'vidp-dev-transcode:1', PropagateTags: 'TASK_DEFINITION' };

describe('ASL Tasks authorized under the state machine role', () => {
  it('runs the integration once every request is allowed, on the very task id ecs:TagResource was decided on', async () => {
    const { integrations, seen } = integrationsAllowing(() => true);

    const result = (await integrations[RUN_TASK]!(runTask, invocation(RUN_TASK))) as { served: string };

    expect(seen[0]!.map((request) => request.action)).toEqual(['ecs:RunTask', 'iam:PassRole', 'iam:PassRole', 'ecs:TagResource']);
    expect(result.served).toMatch(/^[0-9a-f]{32}$/);
    expect(seen[0]![3]!.resource).toBe(`arn:aws:ecs:us-east-1:000000000000:task/local/${result.served}`);
  });

  it('fails a refused Task with the error and cause Step Functions reports, without running it', async () => {
    const { integrations, served } = integrationsAllowing((request) => request.action !== 'ecs:TagResource');

    const run = integrations[RUN_TASK]!(runTask, invocation(RUN_TASK));

    await expect(run).rejects.toMatchObject({ name: 'ECS.AccessDeniedException', message: expect.stringContaining('ecs:TagResource') });
    expect(served).not.toHaveBeenCalled();
  });

  it('names a refused DynamoDB Task as Step Functions’ Java SDK does', async () => {
    const { integrations } = integrationsAllowing(() => false);

    await expect(integrations[UPDATE_ITEM]!({ TableName: 'videos', Key: {} }, invocation(UPDATE_ITEM))).rejects.toMatchObject({
      name: 'DynamoDB.AmazonDynamoDBException',
      message: expect.stringMatching(/dynamodb:UpdateItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/videos .*Error Code: AccessDeniedException/),
    });
  });
});
