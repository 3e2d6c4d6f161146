import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { hostVariables } from '../aws-environment.ts';
import type { CloudLog } from '../cloud-log.ts';
import type { EcsEndpoint } from './ecs-endpoint.ts';
import type { JsonValue } from '../json.ts';
import type { StepFunctionsEndpoint } from '../stepfunctions/sfn-endpoint.ts';
import { parametersObject, taskError, type TaskIntegration, type TaskInvocation } from '../stepfunctions/task-integration.ts';
import { capacityProviderOf, LocalTaskLedger, type LocalTaskRecord } from './capacity-providers.ts';
import { TaskAwaitingReport } from './task-awaiting-report.ts';
import { TaskSlots } from './task-slots.ts';

/** What the CDK task definition declares for the container, locally: the command that runs the image's entry. */
export interface LocalTaskDefinition {
  containerName: string;
  /** Resolved when a task starts (the worker bundle may still be building, or may have failed to build). */
  command: () => Promise<string[]>;
  /** The container's environment in the task definition; ContainerOverrides are merged over it. */
  environment: Record<string, string>;
  /** Names a task in log lines, from its final environment (e.g. the video id). */
  logLabel?: (environment: Record<string, string>) => string;
  /** What ECS adds for this one task: its task role's credentials, as a session named after the task id. */
  taskEnvironment?: (task: { taskArn: string; taskId: string }) => Record<string, string>;
  /** The task size (CPU units, 1024 = 1 vCPU, and MiB): Fargate enforces it, and so does the docker launch. */
  cpu?: number;
  memoryMiB?: number;
  /** The docker launch: the worker image (its ENTRYPOINT is the command; ContainerOverrides' Command is its CMD). */
  image?: string;
}

/**
 * How a task's container runs: `process`, a child process of the host (the default), or `docker`, a container
 * of the worker image with the task's environment only, its CPU and memory limits, on the host's network (the
 * local endpoints listen on 127.0.0.1), stopped with `docker stop` as ECS stops a task.
 */
export type LocalEcsLaunch = 'process' | 'docker';

export interface LocalEcsRunner {
  /** The `arn:aws:states:::ecs:runTask.waitForTaskToken` integration. */
  runTaskAndWaitForTaskToken: TaskIntegration;
  /** Stops every running task (SIGTERM, then SIGKILL), as stopping the cluster would. */
  stopAll(): Promise<void>;
  /** Every task started, oldest first, with the capacity provider it ran on. */
  tasks(): LocalTaskRecord[];
  /** Fargate reclaiming a Spot task (by ARN, id or video id): SIGTERM; refused for a task on FARGATE. */
  interruptSpotTask(reference: string): LocalTaskRecord;
}

/** The host variables a process needs to run at all; the container image provides their equivalent on Fargate. */
const HOST_VARIABLES = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ'];
const KILL_GRACE_MS = 5_000;
/** ECS's default stopTimeout for Fargate: SIGTERM, then SIGKILL 30 s later. */
const DOCKER_STOP_TIMEOUT_SECONDS = 30;
/** What the docker client itself needs from the host (never passed into the container). */
const DOCKER_CLIENT_VARIABLES = ['PATH', 'HOME', 'DOCKER_HOST', 'DOCKER_CONFIG', 'DOCKER_CONTEXT'];

interface ContainerOverride {
  Name?: string;
  Command?: string[];
  Environment?: { Name: string; Value: string }[];
}

/**
 * The local ECS: RunTask starts the task definition's container as a child process (the same worker code as
 * the Fargate image), then the Task waits, as `.waitForTaskToken` does, until the worker reports with the
 * task token through the local Step Functions endpoint. A worker that dies without reporting, or stops
 * heartbeating for HeartbeatSeconds, fails the Task with States.HeartbeatTimeout (on AWS the heartbeat timeout
 * is what surfaces a dead task); TimeoutSeconds fails it with States.Timeout. Both kill the process.
 */
export function createLocalEcsRunner(options: {
  taskDefinitions: Readonly<Record<string, LocalTaskDefinition>>;
  stepFunctions: StepFunctionsEndpoint;
  logger: CloudLog;
  /**
   * How long a task takes from RunTask to its container's start (FARGATE_START_SECONDS): on Fargate,
   * placement, the ENI and the image pull, which count against the state's HeartbeatSeconds and
   * TimeoutSeconds as they do on AWS.
   */
  fargateStartMs?: number;
  /** Serves each task's metadata (its ARN) and StopTask; without it a task knows no ARN and cannot be stopped by API. */
  ecsEndpoint?: EcsEndpoint;
  /** The cluster RunTask runs in (the ASL's Cluster parameter names it on AWS). */
  clusterArn?: string;
  /** Default `process`. */
  launch?: LocalEcsLaunch;
  /** The docker client to run (default `docker`). */
  dockerCommand?: string;
  /** At most this many tasks run at once (LOCAL_MAX_TASKS); the others wait their turn. Default: no cap. */
  maxTasks?: number;
}): LocalEcsRunner {
  const running = new Map<ChildProcess, () => void>();
  const launch = options.launch ?? 'process';
  const slots = new TaskSlots(options.maxTasks ?? Number.MAX_SAFE_INTEGER);
  const ledger = new LocalTaskLedger();

  async function runTaskAndWaitForTaskToken(parameters: JsonValue, invocation: TaskInvocation): Promise<JsonValue> {
    const request = parametersObject(parameters, invocation.task.name);
    const taskDefinition = options.taskDefinitions[String(request.TaskDefinition)];
    if (taskDefinition === undefined) {
      throw taskError('ECS.ClientException', `Unable to find task definition ${String(request.TaskDefinition)}`);
    }
    const definition: LocalTaskDefinition = taskDefinition;
    const override = containerOverride(request, taskDefinition);
    const capacityProvider = capacityProviderOf(request);
    const clusterArn = String(request.Cluster ?? options.clusterArn ?? 'arn:aws:ecs:us-east-1:000000000000:cluster/default');
    // ECS task ids are 32 hex digits; the ARN carries the cluster's name.
    const taskId = invocation.ecsTaskId ?? randomBytes(16).toString('hex');
    const taskArn = `${clusterArn.replace(':cluster/', ':task/')}/${taskId}`;
    // A container gets what the image and the platform give it on Fargate, nothing of the host's.
    const environment: Record<string, string> = {
      ...(launch === 'docker' ? {} : hostVariables(HOST_VARIABLES)),
      ...(options.ecsEndpoint === undefined ? {} : { ECS_CONTAINER_METADATA_URI_V4: options.ecsEndpoint.metadataUriFor(taskArn) }),
      ...taskDefinition.environment,
      ...taskDefinition.taskEnvironment?.({ taskArn, taskId }),
      ...Object.fromEntries((override.Environment ?? []).map(({ Name, Value }) => [Name, Value])),
    };
    const label = taskDefinition.logLabel?.(environment) ?? invocation.execution.name;
    const log = (line: string) => options.logger(`[worker ${label}] ${line}`);

    // Before the first await, so that a StopExecution reaches a task still waiting for its slot.
    const task = new TaskAwaitingReport(options.stepFunctions, invocation, log);
    const slot = slots.take();
    if (slot.queued) log(`queued: ${slots.running} task(s) running, the cap (LOCAL_MAX_TASKS) is ${slots.capacity}; ${slots.waiting} waiting`);
    await Promise.race([slot.ready, task.settled]);
    if (!task.isSettled) {
      // The deadlines run from here: the wait for a slot stands for RunTask refused for capacity and retried.
      task.startClocks();
      const child = await launchTask();
      if (child !== undefined) {
        // 'error' alone when the process could not start at all.
        for (const event of ['close', 'error']) child.once(event, () => slot.release());
        return task.outcome;
      }
    }
    slot.release();
    return task.outcome;

    /** Starts the task's container, or fails the task (and answers undefined) when it cannot. */
    async function launchTask(): Promise<ChildProcess | undefined> {
      let command: string[];
      let spawnEnvironment = environment;
      let stop: (child: ChildProcess) => void = stopProcess;
      try {
        if (launch === 'docker') {
          if (definition.image === undefined) throw new Error('the task definition names no image');
          const containerName = `vidp-task-${taskId}`;
          command = [
            options.dockerCommand ?? 'docker',
            ...dockerRunArguments({ containerName, image: definition.image, environment, taskDefinition: definition, command: override.Command }),
          ];
          // `-e NAME` takes each value from the client's environment: no value appears on a command line.
          spawnEnvironment = { ...Object.fromEntries(DOCKER_CLIENT_VARIABLES.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]!]]))), ...environment };
          stop = (child) => stopContainer(options.dockerCommand ?? 'docker', containerName, spawnEnvironment, child);
        } else {
          command = override.Command ?? (await definition.command());
        }
      } catch (error) {
        task.fail(taskError('ECS.ClientException', `The worker image is not available: ${(error as Error).message}`));
        return undefined;
      }
      const [executable, ...args] = command;
      if ((options.fargateStartMs ?? 0) > 0) {
        log(`provisioning (simulated Fargate start: ${options.fargateStartMs} ms)`);
        await task.settledOrAfter(options.fargateStartMs!);
      }
      if (task.isSettled) return undefined;
      if (executable === undefined) {
        task.fail(taskError('ECS.ClientException', 'The task definition has an empty command'));
        return undefined;
      }

      log(`placed on ${capacityProvider}`);
      log(`started: ${command.join(' ')}`);
      const child = spawn(executable, args, { env: spawnEnvironment, stdio: ['ignore', 'pipe', 'pipe'] });
      running.set(child, () => stop(child));
      const startedAt = new Date().toISOString();
      /** ECS stopping the task (StopTask, a Spot interruption): SIGTERM, then SIGKILL; `how` starts the log line. */
      const stopTask = (reason: string, how = 'stopping') => {
        log(`${how}: ${reason}`);
        ledger.stopping(taskArn, reason);
        stop(child);
      };
      ledger.started({ taskArn, label, capacityProvider, startedAt }, (reason) => stopTask(reason, 'Spot interruption'));
      options.ecsEndpoint?.register({
        taskArn,
        clusterArn,
        taskDefinitionArn: String(request.TaskDefinition),
        capacityProviderName: capacityProvider,
        startedAt,
        stop: (reason) => stopTask(reason, 'StopTask'),
      });
      child.once('close', () => {
        running.delete(child);
        ledger.stopped(taskArn);
        options.ecsEndpoint?.unregister(taskArn);
      });
      for (const stream of [child.stdout, child.stderr]) {
        createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => line.trim() && log(line));
      }
      task.watch(child, () => stop(child));
      return child;
    }
  }

  return {
    runTaskAndWaitForTaskToken,
    tasks: () => ledger.list(),
    interruptSpotTask: (reference) => ledger.interruptSpotTask(reference),
    async stopAll() {
      await Promise.all(
        [...running].map(([child, stop]) => {
          const closed = new Promise((resolve) => child.once('close', resolve));
          stop();
          return closed;
        }),
      );
    },
  };
}

function containerOverride(request: Record<string, JsonValue>, taskDefinition: LocalTaskDefinition): ContainerOverride {
  const overrides = ((request.Overrides as { ContainerOverrides?: ContainerOverride[] } | null)?.ContainerOverrides ?? []);
  const unknown = overrides.find((override) => override.Name !== taskDefinition.containerName);
  if (unknown !== undefined) {
    throw taskError(
      'ECS.InvalidParameterException',
      `Override for container named ${String(unknown.Name)} is not a container in the TaskDefinition.`,
    );
  }
  return overrides[0] ?? {};
}


/** `docker run` for one task: as Fargate runs it, with the task size's limits, on the host's network. */
export function dockerRunArguments(spec: {
  containerName: string;
  image: string;
  environment: Record<string, string>;
  taskDefinition: Pick<LocalTaskDefinition, 'cpu' | 'memoryMiB'>;
  command?: string[] | undefined;
}): string[] {
  const { cpu, memoryMiB } = spec.taskDefinition;
  return [
    'run',
    '--rm',
    '--name',
    spec.containerName,
    '--network',
    'host',
    // Signals go to the container through `docker stop` only, as on ECS, not from this client.
    '--sig-proxy=false',
    '--stop-timeout',
    String(DOCKER_STOP_TIMEOUT_SECONDS),
    ...(cpu === undefined ? [] : ['--cpus', String(cpu / 1024)]),
    // No swap beyond the limit: Fargate has none.
    ...(memoryMiB === undefined ? [] : ['--memory', `${memoryMiB}m`, '--memory-swap', `${memoryMiB}m`]),
    ...Object.keys(spec.environment).flatMap((name) => ['-e', name]),
    spec.image,
    ...(spec.command ?? []),
  ];
}

/**
 * ECS StopTask on a container: SIGTERM to its PID 1, SIGKILL after the stop timeout (docker stop does both).
 * A stop that comes before `docker run` has created the container finds none: it tries again while the
 * client runs, for a few seconds.
 */
function stopContainer(docker: string, containerName: string, environment: Record<string, string>, client: ChildProcess, triesLeft = 10): void {
  if (client.exitCode !== null || client.signalCode !== null) return;
  const stopper = spawn(docker, ['stop', '--time', String(DOCKER_STOP_TIMEOUT_SECONDS), containerName], { env: environment, stdio: 'ignore' });
  stopper.on('error', () => undefined);
  stopper.once('close', (code) => {
    if (code === 0 || triesLeft <= 1) return;
    setTimeout(() => stopContainer(docker, containerName, environment, client, triesLeft - 1), 500).unref();
  });
}

/** SIGTERM, as ECS StopTask sends, then SIGKILL if the process does not exit in time. */
function stopProcess(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const forceKill = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
  forceKill.unref();
  child.once('close', () => clearTimeout(forceKill));
}
