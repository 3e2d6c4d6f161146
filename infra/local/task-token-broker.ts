import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readJsonBody, type JsonValue } from './json.ts';
import type { Logger } from './logger.ts';

/**
 * The part of the Step Functions API a `.waitForTaskToken` worker calls: SendTaskSuccess, SendTaskFailure and
 * SendTaskHeartbeat, in the AWS JSON 1.0 protocol the SDK's SFNClient speaks. The worker uses the stock client
 * with AWS_ENDPOINT_URL_SFN pointing here, exactly as it calls Step Functions on AWS.
 */
export interface TaskTokenBroker {
  endpoint: string;
  /** Starts waiting for the worker holding `token` to report. A token can be waited on by one task at a time. */
  waitForTask(token: string, options?: { onHeartbeat?: () => void }): PendingTask;
  stop(): Promise<void>;
}

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

class BrokerError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startTaskTokenBroker(options: { logger?: Logger } = {}): Promise<TaskTokenBroker> {
  const waiters = new Map<string, Waiter>();

  const operations: Record<string, (body: Record<string, unknown>) => void> = {
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
      const operation =
        request.method === 'POST' && typeof target === 'string' && target.startsWith(TARGET_PREFIX)
          ? operations[target.slice(TARGET_PREFIX.length)]
          : undefined;
      if (operation === undefined) throw new BrokerError('UnknownOperationException', `Unsupported operation ${String(target)}`);
      let body: unknown;
      try {
        body = await readJsonBody(request, MAX_REQUEST_BYTES);
      } catch (error) {
        throw new BrokerError('SerializationException', (error as Error).message);
      }
      if (typeof body !== 'object' || body === null) throw new BrokerError('SerializationException', 'Body must be a JSON object');
      operation(body as Record<string, unknown>);
      reply(response, requestId, 200, {});
    } catch (error) {
      if (!(error instanceof BrokerError)) throw error;
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
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function taskDoesNotExist(): BrokerError {
  return new BrokerError('TaskDoesNotExist', 'Task does not exist anymore, or no task is waiting for this token');
}

function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw new BrokerError(field === 'taskToken' ? 'InvalidToken' : 'ValidationException', `${field} is required`);
  }
  return value;
}

function parseOutput(output: string): JsonValue {
  try {
    return JSON.parse(output) as JsonValue;
  } catch {
    throw new BrokerError('InvalidOutput', 'Invalid output: not valid JSON');
  }
}

function optionalString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  return typeof value === 'string' ? value : '';
}

function reply(response: ServerResponse, requestId: string, statusCode: number, body: unknown): void {
  if (response.headersSent) return;
  response.writeHead(statusCode, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId });
  response.end(JSON.stringify(body));
}
