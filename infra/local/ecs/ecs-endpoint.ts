import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jsonAccessDeniedResponse } from '../iam/access-denied.ts';
import { AwsJsonError } from '../iam/json-request-signature.ts';
import type { JsonEndpointAccess } from '../iam/local-access.ts';
import { requiredActionsForStopTask } from '../iam/required-actions.ts';
import { readBody, writeAwsJson } from '../json.ts';
import { signedRequestOf } from '../sigv4.ts';

/** What the endpoint knows of a running task. */
export interface RunningTask {
  taskArn: string;
  clusterArn: string;
  taskDefinitionArn: string;
  /** FARGATE or FARGATE_SPOT, for a task placed by a capacity provider strategy. */
  capacityProviderName?: string;
  startedAt: string;
  /** StopTask: SIGTERM to the container, then SIGKILL after the stop timeout, as ECS does. */
  stop(reason: string): void;
}

export interface EcsEndpoint {
  /** Where the SDK's ECSClient reaches this (AWS_ENDPOINT_URL_ECS). */
  endpoint: string;
  /** ECS_CONTAINER_METADATA_URI_V4 of a task's container. */
  metadataUriFor(taskArn: string): string;
  register(task: RunningTask): void;
  unregister(taskArn: string): void;
  stop(): Promise<void>;
}

const TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';

/**
 * The two faces of ECS a task's code and vidp's functions see: the task metadata endpoint v4 (`GET
 * {ECS_CONTAINER_METADATA_URI_V4}/task`, how the worker learns its own task ARN) and the ECS API's StopTask
 * (how DELETE stops a running encode at once), in the AWS JSON 1.1 protocol of the stock ECSClient.
 *
 * With `access`, the API is as strict as ECS: StopTask must be SigV4-signed for `ecs` and its signer's role
 * allowed ecs:StopTask on the task (with `ecs:cluster`). The metadata endpoint answers unsigned requests, as
 * the task metadata endpoint does (only the task's own containers can reach it on AWS).
 */
export async function startEcsEndpoint(options: { access?: JsonEndpointAccess } = {}): Promise<EcsEndpoint> {
  const tasks = new Map<string, RunningTask>();
  const taskIdOf = (taskArn: string) => taskArn.slice(taskArn.lastIndexOf('/') + 1);
  const byId = (taskId: string) => [...tasks.values()].find((task) => taskIdOf(task.taskArn) === taskId);

  const describe = (task: RunningTask, status: 'RUNNING' | 'STOPPED') => ({
    taskArn: task.taskArn,
    clusterArn: task.clusterArn,
    taskDefinitionArn: task.taskDefinitionArn,
    launchType: 'FARGATE',
    ...(task.capacityProviderName === undefined ? {} : { capacityProviderName: task.capacityProviderName }),
    lastStatus: 'RUNNING',
    desiredStatus: status,
    startedAt: Date.parse(task.startedAt) / 1000,
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const metadata = /^\/v4\/([^/]+)\/task$/.exec(url.pathname);
    if (request.method === 'GET' && metadata !== null) {
      const task = byId(metadata[1]!);
      if (task === undefined) return reply(response, 404, { message: 'No such task' });
      return reply(response, 200, {
        Cluster: task.clusterArn,
        TaskARN: task.taskArn,
        Family: task.taskDefinitionArn.split('/').pop()?.split(':')[0],
        Revision: task.taskDefinitionArn.split(':').pop(),
        DesiredStatus: 'RUNNING',
        KnownStatus: 'RUNNING',
        LaunchType: 'FARGATE',
        PullStartedAt: task.startedAt,
        PullStoppedAt: task.startedAt,
      });
    }
    const target = request.headers['x-amz-target'];
    if (request.method === 'POST' && target === `${TARGET_PREFIX}StopTask`) {
      const raw = await readBody(request, 64 * 1024);
      const principal = options.access === undefined ? undefined : await authenticated(options.access, request, raw);
      if (principal instanceof AwsJsonError) return reply(response, principal.statusCode, { __type: principal.type, message: principal.message });
      const body = JSON.parse(raw.toString('utf8')) as { cluster?: string; task?: string; reason?: string };
      if (typeof body.task !== 'string') return reply(response, 400, { __type: 'InvalidParameterException', message: 'task is required' });
      if (principal !== undefined) {
        const result = await options.access!.authorize(principal, requiredActionsForStopTask(body.cluster, body.task, options.access!.account));
        if (!result.allowed) {
          const denied = jsonAccessDeniedResponse(result.denial, 'ecs');
          response.writeHead(denied.statusCode, denied.headers).end(denied.body);
          return;
        }
      }
      const task = tasks.get(body.task) ?? byId(body.task);
      if (task === undefined) {
        return reply(response, 400, { __type: 'InvalidParameterException', message: 'The referenced task was not found.' });
      }
      task.stop(body.reason ?? 'Task stopped by the user');
      return reply(response, 200, { task: describe(task, 'STOPPED') });
    }
    reply(response, 400, { __type: 'UnknownOperationException', message: `Unsupported operation ${String(target ?? url.pathname)}` });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => reply(response, 500, { __type: 'ServerException', message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    metadataUriFor: (taskArn) => `${endpoint}/v4/${taskIdOf(taskArn)}`,
    register: (task) => void tasks.set(task.taskArn, task),
    unregister: (taskArn) => void tasks.delete(taskArn),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The signer, or the error ECS answers a request it cannot authenticate with. */
async function authenticated(access: JsonEndpointAccess, request: IncomingMessage, body: Buffer) {
  try {
    return await access.authenticateJson(signedRequestOf(request), body, 'ecs');
  } catch (error) {
    if (error instanceof AwsJsonError) return error;
    throw error;
  }
}


function reply(response: ServerResponse, status: number, body: unknown): void {
  writeAwsJson(response, status, body, { protocolVersion: '1.1' });
}
