import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudLog } from '../cloud-log.ts';
import { jsonAccessDeniedResponse } from '../iam/access-denied.ts';
import type { AuthorizationRequest } from '../iam/authorizer.ts';
import { AwsJsonError } from '../iam/json-request-signature.ts';
import type { JsonEndpointAccess } from '../iam/local-access.ts';
import { requiredActionsForExecution, requiredActionsForTaskResponse } from '../iam/required-actions.ts';
import { readBody, writeAwsJson, type JsonValue } from '../json.ts';
import { signedRequestOf } from '../sigv4.ts';

/**
 * The part of the Step Functions API vidp's code calls, in the AWS JSON 1.0 protocol the SDK's SFNClient
 * speaks: SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat from the `.waitForTaskToken` worker, and
 * StopExecution from the API (deleting a video that is being processed), DescribeExecution from the reconciler
 * (is a `processing` video's execution still running?). All use the stock client with
 * AWS_ENDPOINT_URL_SFN pointing here, exactly as they call Step Functions on AWS.
 *
 * With `access`, as strict as Step Functions: every request is SigV4-signed for `states` and authorized for
 * its signer's role — SendTask* on the state machine the token belongs to, StopExecution and
 * DescribeExecution on the execution — before it is served; a refusal is 400 AccessDeniedException.
 */
export interface StepFunctionsEndpoint {
  endpoint: string;
  /** Starts waiting for the worker holding `token` to report. A token can be waited on by one task at a time. */
  waitForTask(token: string, options?: { onHeartbeat?: () => void }): PendingTask;
  /** Ends the wait for `token` as Step Functions does when its execution stops: later reports are refused. */
  forgetTask(token: string): void;
  stop(): Promise<void>;
}

/** StopExecution: stops the named execution and returns the token its waiting task holds, if any. */
export type StopExecution = (executionArn: string, error: string, cause: string) => { stopDate: string; taskToken?: string };

/** DescribeExecution: what the execution is (throws ExecutionDoesNotExist for one this cloud never ran). */
export type DescribeExecution = (executionArn: string) => {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: string;
  startDate: string;
  stopDate?: string;
  input: string;
};

export interface PendingTask {
  /** Resolves with the parsed `output` of SendTaskSuccess; rejects on SendTaskFailure with name = error, message = cause. */
  result: Promise<JsonValue>;
  /** Stops waiting (the task timed out or its worker died): later reports with the token are refused. */
  cancel(): void;
}

/** What SendTaskFailure turns into, like Step Functions: `error` is the name Retry/Catch match, `cause` the message. */
export class TaskFailure extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

interface Waiter {
  resolve(output: JsonValue): void;
  reject(failure: TaskFailure): void;
  onHeartbeat?: (() => void) | undefined;
}

const TARGET_PREFIX = 'AWSStepFunctions.';
const MAX_REQUEST_BYTES = 1024 * 1024;

class SfnApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startStepFunctionsEndpoint(
  options: {
    logger?: CloudLog;
    stopExecution?: StopExecution;
    describeExecution?: DescribeExecution;
    /** Signatures and IAM, as Step Functions checks them. */
    access?: JsonEndpointAccess;
    /** The state machine whose executions issue the tokens this endpoint answers: what SendTask* is authorized on. */
    stateMachineArn?: string;
  } = {},
): Promise<StepFunctionsEndpoint> {
  const waiters = new Map<string, Waiter>();
  const forgetTask = (token: string) => {
    const waiter = waiters.get(token);
    waiters.delete(token);
    waiter?.reject(new TaskFailure('States.Aborted', 'The execution was stopped'));
  };

  /** What IAM checks for each operation, from its request. */
  const taskResponse = (operation: 'SendTaskSuccess' | 'SendTaskFailure' | 'SendTaskHeartbeat') => () =>
    options.stateMachineArn === undefined ? [] : requiredActionsForTaskResponse(operation, options.stateMachineArn);
  const execution = (operation: 'StopExecution' | 'DescribeExecution') => (body: Record<string, unknown>) =>
    requiredActionsForExecution(operation, requireString(body, 'executionArn'));
  const requiredActions: Record<string, (body: Record<string, unknown>) => AuthorizationRequest[]> = {
    SendTaskSuccess: taskResponse('SendTaskSuccess'),
    SendTaskFailure: taskResponse('SendTaskFailure'),
    SendTaskHeartbeat: taskResponse('SendTaskHeartbeat'),
    StopExecution: execution('StopExecution'),
    DescribeExecution: execution('DescribeExecution'),
  };

  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    SendTaskSuccess(body) {
      const output = parseOutput(requireString(body, 'output'));
      takeWaiter(body).resolve(output);
    },
    SendTaskFailure(body) {
      const waiter = takeWaiter(body);
      waiter.reject(new TaskFailure(optionalString(body, 'error'), optionalString(body, 'cause')));
    },
    SendTaskHeartbeat(body) {
      const token = requireString(body, 'taskToken');
      const waiter = waiters.get(token);
      if (waiter === undefined) throw taskDoesNotExist();
      waiter.onHeartbeat?.();
    },
    StopExecution(body) {
      if (options.stopExecution === undefined) throw new SfnApiError('UnknownOperationException', 'StopExecution is not served here');
      let stopped: ReturnType<StopExecution>;
      try {
        stopped = options.stopExecution(requireString(body, 'executionArn'), optionalString(body, 'error'), optionalString(body, 'cause'));
      } catch (error) {
        if ((error as Error).name === 'ExecutionDoesNotExist') throw new SfnApiError('ExecutionDoesNotExist', (error as Error).message);
        throw error;
      }
      if (stopped.taskToken !== undefined) forgetTask(stopped.taskToken);
      // The SDK reads stopDate as epoch seconds.
      return { stopDate: Date.parse(stopped.stopDate) / 1000 };
    },
    DescribeExecution(body) {
      if (options.describeExecution === undefined) throw new SfnApiError('UnknownOperationException', 'DescribeExecution is not served here');
      let described: ReturnType<DescribeExecution>;
      try {
        described = options.describeExecution(requireString(body, 'executionArn'));
      } catch (error) {
        if ((error as Error).name === 'ExecutionDoesNotExist') throw new SfnApiError('ExecutionDoesNotExist', (error as Error).message);
        throw error;
      }
      return {
        ...described,
        startDate: Date.parse(described.startDate) / 1000,
        ...(described.stopDate === undefined ? {} : { stopDate: Date.parse(described.stopDate) / 1000 }),
      };
    },
  };

  function takeWaiter(body: Record<string, unknown>): Waiter {
    const token = requireString(body, 'taskToken');
    const waiter = waiters.get(token);
    if (waiter === undefined) throw taskDoesNotExist();
    waiters.delete(token);
    return waiter;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    try {
      const target = request.headers['x-amz-target'];
      const name = request.method === 'POST' && typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
      const operation = operations[name];
      let raw: Buffer;
      try {
        raw = await readBody(request, MAX_REQUEST_BYTES);
      } catch (error) {
        throw new SfnApiError('SerializationException', (error as Error).message);
      }
      const principal = options.access === undefined ? undefined : await authenticated(options.access, request, raw);
      if (operation === undefined) throw new SfnApiError('UnknownOperationException', `Unsupported operation ${String(target)}`);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (error) {
        throw new SfnApiError('SerializationException', (error as Error).message);
      }
      if (typeof body !== 'object' || body === null) throw new SfnApiError('SerializationException', 'Body must be a JSON object');
      if (principal !== undefined) {
        const result = await options.access!.authorize(principal, requiredActions[name]!(body as Record<string, unknown>));
        if (!result.allowed) {
          const denied = jsonAccessDeniedResponse(result.denial, 'states', { requestId });
          options.logger?.(`[task-token] AccessDeniedException: ${name} by ${result.denial.principalArn} (${result.denial.action})`);
          response.writeHead(denied.statusCode, denied.headers).end(denied.body);
          return;
        }
      }
      const result = operation(body as Record<string, unknown>);
      reply(response, requestId, 200, result ?? {});
    } catch (error) {
      if (!(error instanceof SfnApiError)) throw error;
      options.logger?.(`[task-token] ${error.type}: ${error.message}`);
      reply(response, requestId, 400, { __type: error.type, message: error.message });
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      reply(response, randomUUID(), 500, { __type: 'InternalFailure', message: String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    waitForTask(token, waitOptions = {}) {
      if (waiters.has(token)) throw new Error(`A task is already waiting for token ${token}`);
      const { promise, resolve, reject } = Promise.withResolvers<JsonValue>();
      waiters.set(token, { resolve, reject, onHeartbeat: waitOptions.onHeartbeat });
      // A failure can arrive before the caller awaits `result`; that is not an unhandled rejection.
      promise.catch(() => {});
      return {
        result: promise,
        cancel: () => {
          if (waiters.get(token)?.resolve === resolve) waiters.delete(token);
        },
      };
    },
    forgetTask,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The signer of a request, or the SfnApiError Step Functions answers an unsigned or badly signed one with. */
async function authenticated(access: JsonEndpointAccess, request: IncomingMessage, body: Buffer) {
  try {
    return await access.authenticateJson(signedRequestOf(request), body, 'states');
  } catch (error) {
    if (error instanceof AwsJsonError) throw new SfnApiError(error.type, error.message);
    throw error;
  }
}

function taskDoesNotExist(): SfnApiError {
  return new SfnApiError('TaskDoesNotExist', 'Task does not exist anymore, or no task is waiting for this token');
}

function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw new SfnApiError(field === 'taskToken' ? 'InvalidToken' : 'ValidationException', `${field} is required`);
  }
  return value;
}

function parseOutput(output: string): JsonValue {
  try {
    return JSON.parse(output) as JsonValue;
  } catch {
    throw new SfnApiError('InvalidOutput', 'Invalid output: not valid JSON');
  }
}

function optionalString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  return typeof value === 'string' ? value : '';
}


function reply(response: ServerResponse, requestId: string, statusCode: number, body: unknown): void {
  writeAwsJson(response, statusCode, body, { protocolVersion: '1.0', requestId });
}
