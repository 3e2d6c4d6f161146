import type { ChildProcess } from 'node:child_process';
import type { CloudLog } from '../cloud-log.ts';
import type { JsonValue } from '../json.ts';
import type { PendingTask, StepFunctionsEndpoint } from '../stepfunctions/sfn-endpoint.ts';
import { taskError, type TaskInvocation } from '../stepfunctions/task-integration.ts';

/**
 * One task between RunTask and its report: settled by the worker's SendTaskSuccess/Failure, or failed by a
 * missed heartbeat, the task timeout, or the worker's death, whichever comes first.
 */
export class TaskAwaitingReport {
  readonly outcome: Promise<JsonValue>;
  /** Resolves when the outcome is known, whatever it is. */
  readonly settled: Promise<void>;
  #settle!: (result: { output: JsonValue } | { error: Error }) => void;
  #settled = false;
  #stopWorker: (() => void) | undefined;
  #startedAt: number | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #timeoutTimer: NodeJS.Timeout | undefined;
  readonly #pending: PendingTask;
  readonly #log: CloudLog;
  readonly #heartbeatSeconds: number | undefined;
  readonly #timeoutSeconds: number | undefined;

  constructor(stepFunctions: StepFunctionsEndpoint, invocation: TaskInvocation, log: CloudLog) {
    this.#log = log;
    this.outcome = new Promise((resolve, reject) => {
      this.#settle = (result) => ('output' in result ? resolve(result.output) : reject(result.error));
    });
    this.#heartbeatSeconds = invocation.task.heartbeatSeconds;
    this.#pending = stepFunctions.waitForTask(invocation.execution.taskToken, {
      onHeartbeat: () => {
        this.#logFirstHeartbeat();
        this.#restartHeartbeatTimer();
      },
    });
    this.settled = this.outcome.then(
      () => undefined,
      () => undefined,
    );
    this.#pending.result.then(
      (output) => this.#finish({ output }),
      (error: Error) => this.#finish({ error }),
    );
    this.#timeoutSeconds = invocation.task.timeoutSeconds;
  }

  /** Starts HeartbeatSeconds and TimeoutSeconds, as the state's (re)start does on AWS. */
  startClocks(): void {
    this.#restartHeartbeatTimer();
    const timeoutSeconds = this.#timeoutSeconds;
    if (timeoutSeconds !== undefined) {
      this.#timeoutTimer = setTimeout(() => {
        this.#log(`still running after TimeoutSeconds (${timeoutSeconds} s): stopping the task`);
        this.#finish({ error: taskError('States.Timeout', `The task did not finish within ${timeoutSeconds} s`) }, { stopWorker: true });
      }, timeoutSeconds * 1000);
    }
  }

  get isSettled(): boolean {
    return this.#settled;
  }

  /** Waits `ms`, or less if the task is settled meanwhile (a timeout, a stop). */
  async settledOrAfter(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, ms))), this.settled]);
    clearTimeout(timer);
  }

  fail(error: Error): void {
    this.#finish({ error });
  }

  /** A worker that ends without reporting fails the task (on AWS only the heartbeat timeout would tell). */
  watch(child: ChildProcess, stop: () => void): void {
    this.#stopWorker = stop;
    this.#startedAt = performance.now();
    child.once('error', (error) => {
      this.#finish({ error: taskError('States.HeartbeatTimeout', `The worker could not start: ${error.message}`) });
    });
    // 'close' comes after the last output line: the log shows why it died before the Task fails.
    child.once('close', (code, signal) => {
      this.#log(`exited with ${code ?? signal}`);
      this.#finish({
        error: taskError('States.HeartbeatTimeout', `The worker exited with code ${code ?? signal} without reporting`),
      });
    });
  }

  /** How long the worker took from its process or container's start to its first heartbeat (bench reads it). */
  #logFirstHeartbeat(): void {
    if (this.#startedAt === undefined) return;
    this.#log(`first heartbeat ${Math.round(performance.now() - this.#startedAt)} ms after start`);
    this.#startedAt = undefined;
  }

  #restartHeartbeatTimer(): void {
    const seconds = this.#heartbeatSeconds;
    if (seconds === undefined) return;
    clearTimeout(this.#heartbeatTimer);
    this.#heartbeatTimer = setTimeout(() => {
      this.#log(`no heartbeat for ${seconds} s: stopping the task`);
      this.#finish({ error: taskError('States.HeartbeatTimeout', `No heartbeat from the worker for ${seconds} s`) }, { stopWorker: true });
    }, seconds * 1000);
  }

  #finish(result: { output: JsonValue } | { error: Error }, options: { stopWorker?: boolean } = {}): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#heartbeatTimer);
    clearTimeout(this.#timeoutTimer);
    this.#pending.cancel();
    if (options.stopWorker) this.#stopWorker?.();
    this.#settle(result);
  }
}
