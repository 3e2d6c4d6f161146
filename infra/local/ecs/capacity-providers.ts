import type { CapacityProvider } from '../../../functions/core/video.ts';
import type { JsonValue } from '../json.ts';
import { taskError } from '../stepfunctions/task-integration.ts';

/**
 * Where RunTask places a task, locally, by ECS's rules: a `CapacityProviderStrategy` of providers the cluster
 * has (the CDK cluster has FARGATE and FARGATE_SPOT) or a `LaunchType`, never both. And what Fargate Spot does
 * to a task it reclaims: SIGTERM (then SIGKILL after the stop timeout), which on-demand FARGATE never does.
 */
export const LOCAL_CLUSTER_CAPACITY_PROVIDERS: readonly CapacityProvider[] = ['FARGATE', 'FARGATE_SPOT'];

/** ECS's stoppedReason for a reclaimed Spot task. */
export const SPOT_INTERRUPTION_REASON = 'Your Spot Task was interrupted.';

interface StrategyItem {
  CapacityProvider?: unknown;
  Weight?: unknown;
  Base?: unknown;
}

/**
 * The capacity provider a RunTask request places its task on; `FARGATE` for a LaunchType of FARGATE (or none:
 * the local cluster stands in for one whose default is on-demand Fargate). Refused as ECS refuses: both set,
 * an empty strategy, a provider the cluster lacks, more than one base, or no provider with a weight to place the task by
 * (the API's default weight is 0).
 */
export function capacityProviderOf(request: Record<string, JsonValue>): CapacityProvider {
  const strategy = request.CapacityProviderStrategy as StrategyItem[] | undefined;
  if (strategy === undefined) {
    if (request.LaunchType !== undefined && request.LaunchType !== 'FARGATE') {
      throw taskError('ECS.InvalidParameterException', `The local cluster runs Fargate tasks only, not LaunchType ${String(request.LaunchType)}.`);
    }
    return 'FARGATE';
  }
  if (request.LaunchType !== undefined) {
    throw taskError(
      'ECS.InvalidParameterException',
      'Specifying both a launch type and capacity provider strategy is not supported. Please specify one or the other and try again.',
    );
  }
  if (!Array.isArray(strategy) || strategy.length === 0) {
    throw taskError('ECS.InvalidParameterException', 'The capacity provider strategy must contain at least one capacity provider.');
  }
  const unknown = strategy.find((item) => !LOCAL_CLUSTER_CAPACITY_PROVIDERS.includes(item.CapacityProvider as CapacityProvider));
  if (unknown !== undefined) {
    throw taskError(
      'ECS.InvalidParameterException',
      `The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster (${String(unknown.CapacityProvider)}).`,
    );
  }
  if (strategy.filter((item) => item.Base !== undefined).length > 1) {
    throw taskError('ECS.InvalidParameterException', 'Only one capacity provider in a strategy can have a base defined.');
  }
  // One task: the provider with a base takes it first, else the first with a weight (ECS spreads many by weight).
  const chosen = strategy.find((item) => Number(item.Base ?? 0) > 0) ?? strategy.find((item) => Number(item.Weight ?? 0) > 0);
  if (chosen === undefined) {
    throw taskError('ECS.InvalidParameterException', 'At least one capacity provider in the strategy must have a weight greater than zero.');
  }
  return chosen.CapacityProvider as CapacityProvider;
}

/** A task the local ECS ran, as tests and `GET /_local/tasks` see it. */
export interface LocalTaskRecord {
  taskArn: string;
  /** What the task runs for (the video id). */
  label: string;
  capacityProvider: CapacityProvider;
  startedAt: string;
  /** Set once the container has stopped. */
  stoppedAt?: string;
  /** Why ECS stopped it (StopTask's reason, a Spot interruption), when it did. */
  stoppedReason?: string;
}

/** Interrupting a task that is not running, or that runs on on-demand capacity (which Fargate never reclaims). */
export class SpotInterruptionRefusedError extends Error {
  override readonly name = 'SpotInterruptionRefusedError';
  constructor(
    message: string,
    readonly statusCode: 404 | 409,
  ) {
    super(message);
  }
}

/** Every task the runner started, and the way to stop the running ones as ECS would. */
export class LocalTaskLedger {
  readonly #tasks: (LocalTaskRecord & { stop?: (reason: string) => void })[] = [];

  started(task: LocalTaskRecord, stop: (reason: string) => void): void {
    this.#tasks.push({ ...task, stop });
  }

  stopping(taskArn: string, reason: string): void {
    const task = this.#find(taskArn);
    if (task !== undefined) task.stoppedReason ??= reason;
  }

  stopped(taskArn: string): void {
    const task = this.#find(taskArn);
    if (task === undefined) return;
    task.stoppedAt = new Date().toISOString();
    delete task.stop;
  }

  /** Oldest first. */
  list(): LocalTaskRecord[] {
    return this.#tasks.map(({ stop: _stop, ...task }) => ({ ...task }));
  }

  /**
   * A Spot interruption of the running task named by its ARN, its id or its label (the video id): SIGTERM,
   * as Fargate sends it, then SIGKILL after the stop timeout. Refused for a task on FARGATE.
   */
  interruptSpotTask(reference: string): LocalTaskRecord {
    const task = [...this.#tasks]
      .reverse()
      .find((candidate) => candidate.stop !== undefined && [candidate.taskArn, candidate.taskArn.split('/').at(-1), candidate.label].includes(reference));
    if (task?.stop === undefined) throw new SpotInterruptionRefusedError(`No running task is ${reference}`, 404);
    if (task.capacityProvider !== 'FARGATE_SPOT') {
      throw new SpotInterruptionRefusedError(`Task ${task.taskArn} runs on ${task.capacityProvider}: only FARGATE_SPOT tasks are interrupted`, 409);
    }
    task.stoppedReason = SPOT_INTERRUPTION_REASON;
    task.stop(SPOT_INTERRUPTION_REASON);
    const { stop: _stop, ...record } = task;
    return { ...record };
  }

  #find(taskArn: string) {
    return this.#tasks.find((task) => task.taskArn === taskArn);
  }
}
