import { randomBytes, randomUUID } from 'node:crypto';
import type { CloudLog } from '../cloud-log.ts';
import type { JsonValue } from '../json.ts';
import { executionArn, STATE_MACHINE_ARN, STATE_MACHINE_NAME, STATE_MACHINE_ROLE_ARN } from '../local-resources.ts';
import type { ExecutionContext, Workflow, WorkflowRun } from './state-machine.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One transition of an execution, as the Step Functions console's event history lists it. */
export interface TraceEntry {
  type: 'StateEntered' | 'StateExited' | 'StateFailed' | 'StateRetried' | 'StateCaught';
  state: string;
  stateType: string;
  timestamp: string;
  /** StateExited / StateFailed: time since the state was entered (or last retried). */
  durationMs?: number;
  /** StateFailed */
  error?: string;
  cause?: string;
  /** StateRetried: the retry about to run, counting from 1. */
  attempt?: number;
  /** StateCaught: the state the catcher goes to. */
  next?: string;
  /** A state inside a Map iteration: the iteration's index (its item's place in the Map's input). */
  index?: number;
}

export interface ExecutionRecord {
  name: string;
  executionArn: string;
  status: ExecutionStatus;
  input: JsonValue;
  output?: JsonValue;
  error?: string;
  cause?: string;
  startDate: string;
  stopDate?: string;
  trace: TraceEntry[];
}

/** What StopExecution answers for an execution it does not know (the SDK maps it to ExecutionDoesNotExist). */
export class ExecutionDoesNotExistError extends Error {
  override readonly name = 'ExecutionDoesNotExist';
}

/** StartExecution refuses a name already used by the state machine; so does the registry. */
export class ExecutionAlreadyExistsError extends Error {
  override readonly name = 'ExecutionAlreadyExists';
}

/** Opaque and long, like Step Functions' own (which are several hundred characters of base64). */
function mintTaskToken(): string {
  return `AQ${randomBytes(96).toString('base64url')}`;
}

type EventLog = WorkflowRun['eventLogs'] extends AsyncGenerator<infer Event> ? Event : never;

/**
 * The local counterpart of the Step Functions console: starts executions of the workflow and keeps, for each,
 * its status, input, output or error, and the trace of its state transitions (also written to the log).
 */
export class ExecutionRegistry {
  readonly #workflow: Pick<Workflow, 'run'>;
  readonly #logger: CloudLog;
  readonly #records = new Map<string, ExecutionRecord>();
  readonly #finished = new Map<string, Promise<ExecutionRecord>>();
  readonly #aborts = new Map<string, () => void>();
  readonly #tokens = new Map<string, string>();
  readonly #stopReasons = new Map<string, { error: string; cause: string }>();

  readonly #onEnded: ((record: ExecutionRecord) => void) | undefined;

  constructor(options: {
    workflow: Pick<Workflow, 'run'>;
    logger: CloudLog;
    /** Step Functions' "Execution Status Change" event, once an execution has ended. */
    onEnded?: (record: ExecutionRecord) => void;
  }) {
    this.#workflow = options.workflow;
    this.#logger = options.logger;
    this.#onEnded = options.onEnded;
  }

  /** Starts an execution (a fresh uuid as name unless given) and returns its name at once. */
  start(input: JsonValue, name: string = randomUUID()): string {
    if (this.#records.has(name)) throw new ExecutionAlreadyExistsError(`Execution ${name} already exists`);
    const startDate = new Date().toISOString();
    const record: ExecutionRecord = { name, executionArn: executionArn(name), status: 'RUNNING', input, startDate, trace: [] };
    this.#records.set(name, record);

    const context: ExecutionContext = {
      Execution: { Id: record.executionArn, Name: name, StartTime: startDate, Input: input, RoleArn: STATE_MACHINE_ROLE_ARN },
      StateMachine: { Id: STATE_MACHINE_ARN, Name: STATE_MACHINE_NAME },
      Task: { Token: `$$.Task.Token of ${name}` },
    };
    const log = (line: string) => this.#logger(`[exec ${name.slice(0, 8)}] ${line}`);
    log(`started${describeInput(input)}`);
    const run = this.#workflow.run(input, context, () => {
      const token = mintTaskToken();
      this.#tokens.set(name, token);
      return token;
    });
    this.#aborts.set(name, run.abort);

    const traced = this.#trace(record, run.eventLogs, log);
    const settled = run.result.then(
      (output) => ({ status: 'SUCCEEDED' as const, output }),
      (error: Error) => ({ status: statusOfFailure(error) }),
    );
    this.#finished.set(
      name,
      Promise.all([settled, traced]).then(([outcome, failure]) => {
        record.status = outcome.status;
        if ('output' in outcome) record.output = outcome.output;
        if (failure) Object.assign(record, failure);
        const stopReason = this.#stopReasons.get(name);
        if (stopReason !== undefined && record.status === 'ABORTED') Object.assign(record, stopReason);
        record.stopDate = new Date().toISOString();
        this.#aborts.delete(name);
        const elapsed = Date.parse(record.stopDate) - Date.parse(record.startDate);
        log(`${record.status} in ${elapsed} ms${record.error ? ` — ${record.error}: ${record.cause ?? ''}` : ''}`);
        this.#onEnded?.(record);
        return record;
      }),
    );
    return name;
  }

  get(name: string): ExecutionRecord | undefined {
    return this.#records.get(name);
  }

  /** DescribeExecution: by ARN (or name); throws ExecutionDoesNotExist for an execution this cloud never ran. */
  describe(executionArnOrName: string) {
    const record = this.#records.get(executionArnOrName.split(':').pop() ?? '');
    if (record === undefined) throw new ExecutionDoesNotExistError(`Execution does not exist: ${executionArnOrName}`);
    return {
      executionArn: record.executionArn,
      stateMachineArn: STATE_MACHINE_ARN,
      name: record.name,
      status: record.status,
      startDate: record.startDate,
      ...(record.stopDate === undefined ? {} : { stopDate: record.stopDate }),
      input: JSON.stringify(record.input),
    };
  }

  /** Newest first. */
  list(): ExecutionRecord[] {
    return [...this.#records.values()].reverse();
  }

  /** Resolves with the record once the execution has ended (whatever the status). */
  async waitFor(name: string): Promise<ExecutionRecord> {
    const finished = this.#finished.get(name);
    if (finished === undefined) throw new Error(`No execution named ${name}`);
    return finished;
  }

  /**
   * StopExecution: aborts a running execution, which ends ABORTED with the given error and cause. Returns the
   * token its task may be waiting on (for the Step Functions endpoint to refuse), nothing for an execution that
   * has ended.
   */
  stop(executionArnOrName: string, error: string, cause: string): { stopDate: string; taskToken?: string } {
    const name = executionArnOrName.split(':').pop() ?? '';
    const record = this.#records.get(name);
    if (record === undefined) throw new ExecutionDoesNotExistError(`Execution does not exist: ${executionArnOrName}`);
    const abort = this.#aborts.get(name);
    if (abort === undefined || record.status !== 'RUNNING') return { stopDate: record.stopDate ?? new Date().toISOString() };
    this.#stopReasons.set(name, { error, cause });
    abort();
    return { stopDate: new Date().toISOString(), taskToken: this.#tokens.get(name) };
  }

  /** Aborts every running execution (as StopExecution does) and waits until each has ended. */
  async abortAll(): Promise<void> {
    for (const abort of this.#aborts.values()) abort();
    await Promise.all(this.#finished.values());
  }

  /** Follows the run's event log until it closes; returns the error of a failed execution. */
  async #trace(
    record: ExecutionRecord,
    events: AsyncGenerator<EventLog>,
    log: CloudLog,
  ): Promise<{ error: string; cause: string } | undefined> {
    const since = new Map<string, number>();
    const caught = new Set<string>();
    let failure: { error: string; cause: string } | undefined;
    for await (const event of events) {
      if (event.type === 'ExecutionFailed') failure = { error: event.Error, cause: causeText(event.Cause) };
      if (!('state' in event)) continue;
      const { name: state, type: stateType } = event.state;
      const entry: TraceEntry = { type: event.type, state, stateType, timestamp: new Date(event.timestamp).toISOString() };
      // The iterations of a Map run the same states at once: each is timed on its own.
      if (event.index !== undefined) entry.index = event.index;
      const key = event.index === undefined ? state : `${state}[${event.index}]`;
      const elapsed = () => event.timestamp - (since.get(key) ?? event.timestamp);
      switch (event.type) {
        case 'StateEntered':
          since.set(key, event.timestamp);
          log(`→ ${key}`);
          break;
        case 'StateExited':
          entry.durationMs = elapsed();
          // aws-local-stepfunctions also reports a caught state as exited; its ✗ and catch are logged already.
          if (!caught.delete(key)) log(`${key} ✓ ${entry.durationMs} ms`);
          break;
        case 'StateFailed':
          entry.durationMs = elapsed();
          entry.error = event.Error;
          entry.cause = causeText(event.Cause);
          log(`${key} ✗ ${entry.durationMs} ms — ${entry.error}: ${entry.cause}`);
          break;
        case 'StateRetried':
          since.set(key, event.timestamp);
          entry.attempt = event.retry.attempt;
          log(`${key} ↻ retry ${entry.attempt}`);
          break;
        case 'StateCaught':
          caught.add(key);
          entry.next = event.catch.catcher.Next;
          log(`${key} caught → ${entry.next}`);
          break;
      }
      record.trace.push(entry);
    }
    return failure;
  }
}

function statusOfFailure(error: Error): ExecutionStatus {
  if (error.name === 'ExecutionTimeoutError') return 'TIMED_OUT';
  if (error.name === 'ExecutionAbortedError') return 'ABORTED';
  return 'FAILED';
}

function causeText(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause) ?? '';
}

function describeInput(input: JsonValue): string {
  const key = (input as { detail?: { object?: { key?: unknown } } } | null)?.detail?.object?.key;
  return typeof key === 'string' ? ` for ${key}` : '';
}
