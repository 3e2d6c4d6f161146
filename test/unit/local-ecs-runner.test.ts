import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalEcsRunner, type LocalEcsRunner } from '../../infra/local/ecs/task-runner.ts';
import type { JsonValue } from '../../infra/local/json.ts';
import type { AslTaskState } from '../../infra/shared/pipeline-definition.ts';
import type { TaskInvocation } from '../../infra/local/stepfunctions/task-integration.ts';
import { startStepFunctionsEndpoint, type StepFunctionsEndpoint } from '../../infra/local/stepfunctions/sfn-endpoint.ts';

const TASK_DEFINITION = 'arn:aws:ecs:us-east-1:000000000000:task-definition/test-worker:1';

/**
 * Worker scripts run as real child processes and report through the real SFNClient, the way the FFmpeg
 * worker does. Each script is an ES module given to `node --input-type=module -e`.
 */
const REPORTING_WORKER = `
  import { SFNClient, SendTaskSuccessCommand, SendTaskFailureCommand, SendTaskHeartbeatCommand } from '@aws-sdk/client-sfn';
  const sfn = new SFNClient({});
  const taskToken = process.env.TASK_TOKEN;
  const mode = process.env.MODE;
  if (mode === 'success') {
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ seen: process.env.SEEN, leaked: process.env.SECRET_OF_THE_HOST ?? null }) }));
  } else if (mode === 'failure') {
    await sfn.send(new SendTaskFailureCommand({ taskToken, error: 'InputInvalidError', cause: 'no video stream' }));
  } else if (mode === 'exit') {
    console.log('giving up');
    process.exit(3);
  } else if (mode === 'silent') {
    setInterval(() => {}, 1000);
  } else if (mode === 'heartbeat-forever') {
    setInterval(() => sfn.send(new SendTaskHeartbeatCommand({ taskToken })), 200);
  } else if (mode === 'busy-then-success') {
    // Heartbeats for BUSY_MS, as an encode would, then succeeds.
    const beat = setInterval(() => sfn.send(new SendTaskHeartbeatCommand({ taskToken })), 200);
    setTimeout(async () => {
      clearInterval(beat);
      await sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' }));
    }, Number(process.env.BUSY_MS));
  }
`;

describe('local ECS runner', () => {
  let stepFunctions: StepFunctionsEndpoint;
  let runner: LocalEcsRunner;
  const log: string[] = [];

  beforeAll(async () => {
    stepFunctions = await startStepFunctionsEndpoint();
    process.env.SECRET_OF_THE_HOST = 'must not reach the container';
    runner = createLocalEcsRunner({
      stepFunctions,
      logger: (line) => log.push(line),
      taskDefinitions: {
        [TASK_DEFINITION]: {
          containerName: 'worker',
          command: async () => [process.execPath, '--input-type=module', '-e', REPORTING_WORKER],
          environment: {
            AWS_ENDPOINT_URL_SFN: stepFunctions.endpoint,
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'S3RVER',
            AWS_SECRET_ACCESS_KEY: 'S3RVER',
            SEEN: 'from the task definition',
          },
          logLabel: (environment) => environment.LABEL ?? environment.MODE ?? '?',
        },
      },
    });
  });

  afterAll(async () => {
    delete process.env.SECRET_OF_THE_HOST;
    await runner.stopAll();
    await stepFunctions.stop();
  });

  let executions = 0;
  function runTask(environment: Record<string, string>, state: Partial<AslTaskState> = {}): Promise<JsonValue> {
    const invocation: TaskInvocation = {
      task: { name: 'Transcode', resource: 'arn:aws:states:::ecs:runTask.waitForTaskToken', parameters: {}, ...state },
      execution: { name: `execution-${++executions}`, taskToken: `token-${executions}` },
    };
    const parameters = {
      TaskDefinition: TASK_DEFINITION,
      Overrides: {
        ContainerOverrides: [
          {
            Name: 'worker',
            Environment: Object.entries({ TASK_TOKEN: invocation.execution.taskToken, ...environment }).map(([Name, Value]) => ({
              Name,
              Value,
            })),
          },
        ],
      },
    };
    return runner.runTaskAndWaitForTaskToken(parameters, invocation);
  }

  it('returns the output the worker sends with SendTaskSuccess', async () => {
    await expect(runTask({ MODE: 'success' })).resolves.toMatchObject({ seen: 'from the task definition' });
  });

  it('gives the container the task definition environment with the overrides on top, and nothing else of the host', async () => {
    await expect(runTask({ MODE: 'success', SEEN: 'from the override' })).resolves.toEqual({ seen: 'from the override', leaked: null });
  });

  it('fails the task with the error and cause the worker sends with SendTaskFailure', async () => {
    await expect(runTask({ MODE: 'failure' })).rejects.toMatchObject({ name: 'InputInvalidError', message: 'no video stream' });
  });

  it('fails the task with States.HeartbeatTimeout when the worker exits without reporting', async () => {
    await expect(runTask({ MODE: 'exit' })).rejects.toMatchObject({
      name: 'States.HeartbeatTimeout',
      message: expect.stringContaining('exited with code 3 without reporting'),
    });
    expect(log).toContain('[worker exit] giving up');
  });

  it('stops a worker that sends no heartbeat for HeartbeatSeconds and fails the task with States.HeartbeatTimeout', async () => {
    await expect(runTask({ MODE: 'silent' }, { heartbeatSeconds: 1 })).rejects.toMatchObject({ name: 'States.HeartbeatTimeout' });
    await expect.poll(() => log).toContain('[worker silent] exited with SIGTERM');
  });

  it('stops a worker still running after TimeoutSeconds and fails the task with States.Timeout, heartbeats or not', async () => {
    await expect(runTask({ MODE: 'heartbeat-forever' }, { heartbeatSeconds: 1, timeoutSeconds: 2 })).rejects.toMatchObject({
      name: 'States.Timeout',
    });
    await expect.poll(() => log).toContain('[worker heartbeat-forever] exited with SIGTERM');
  });

  it("logs how long after the worker's start its first heartbeat came, once per task", async () => {
    // A label of its own, so the lines counted are this task's whatever ran before.
    await expect(runTask({ MODE: 'heartbeat-forever', LABEL: 'first-beat' }, { heartbeatSeconds: 1, timeoutSeconds: 1 })).rejects.toMatchObject({
      name: 'States.Timeout',
    });
    const firstBeats = log.filter((line) => line.startsWith('[worker first-beat] first heartbeat'));
    expect(firstBeats).toHaveLength(1);
    expect(firstBeats[0]).toMatch(/^\[worker first-beat\] first heartbeat \d+ ms after start$/);
  });

  it('refuses an unknown task definition as ECS does', async () => {
    await expect(
      runner.runTaskAndWaitForTaskToken(
        { TaskDefinition: 'arn:aws:ecs:us-east-1:000000000000:task-definition/nope:1' },
        {
          task: { name: 'Transcode', resource: 'arn:aws:states:::ecs:runTask.waitForTaskToken', parameters: {} },
          execution: { name: 'x', taskToken: 'unused' },
        },
      ),
    ).rejects.toMatchObject({ name: 'ECS.ClientException' });
  });
});

describe('local ECS runner with a simulated Fargate start', () => {
  let stepFunctions: StepFunctionsEndpoint;
  const log: string[] = [];
  const runnerStartingIn = (fargateStartMs: number) =>
    createLocalEcsRunner({
      stepFunctions,
      logger: (line) => log.push(line),
      fargateStartMs,
      taskDefinitions: {
        [TASK_DEFINITION]: {
          containerName: 'worker',
          command: async () => [process.execPath, '--input-type=module', '-e', REPORTING_WORKER],
          environment: { AWS_ENDPOINT_URL_SFN: stepFunctions.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
        },
      },
    });
  const run = (runner: LocalEcsRunner, mode: string, state: Partial<AslTaskState>, token: string) =>
    runner.runTaskAndWaitForTaskToken(
      {
        TaskDefinition: TASK_DEFINITION,
        Overrides: { ContainerOverrides: [{ Name: 'worker', Environment: [{ Name: 'TASK_TOKEN', Value: token }, { Name: 'MODE', Value: mode }] }] },
      },
      { task: { name: 'Transcode', resource: 'arn:aws:states:::ecs:runTask.waitForTaskToken', parameters: {}, ...state }, execution: { name: token, taskToken: token } },
    );

  beforeAll(async () => {
    stepFunctions = await startStepFunctionsEndpoint();
  });
  afterAll(async () => {
    await stepFunctions.stop();
  });

  it('counts HeartbeatSeconds from the state\'s start: a start longer than it fails the task before the worker beats once', async () => {
    const runner = runnerStartingIn(1_500);
    await expect(run(runner, 'heartbeat-forever', { heartbeatSeconds: 1 }, 'cold-start')).rejects.toMatchObject({ name: 'States.HeartbeatTimeout' });
    expect(log.some((line) => line.includes('started:'))).toBe(false);
    await runner.stopAll();
  });

  it('runs the worker once the start is over when the window leaves room for it', async () => {
    const runner = runnerStartingIn(300);
    await expect(run(runner, 'success', { heartbeatSeconds: 2 }, 'warm-enough')).resolves.toBeDefined();
    await runner.stopAll();
  });
});

describe('local ECS runner with a task cap (LOCAL_MAX_TASKS)', () => {
  let stepFunctions: StepFunctionsEndpoint;
  let runner: LocalEcsRunner;
  const log: string[] = [];
  const run = (token: string, environment: Record<string, string>, state: Partial<AslTaskState> = {}) =>
    runner.runTaskAndWaitForTaskToken(
      {
        TaskDefinition: TASK_DEFINITION,
        Overrides: {
          ContainerOverrides: [{ Name: 'worker', Environment: Object.entries({ TASK_TOKEN: token, LABEL: token, ...environment }).map(([Name, Value]) => ({ Name, Value })) }],
        },
      },
      { task: { name: 'Transcode', resource: 'arn:aws:states:::ecs:runTask.waitForTaskToken', parameters: {}, ...state }, execution: { name: token, taskToken: token } },
    );
  const lineOf = (token: string, text: string) => log.findIndex((line) => line.startsWith(`[worker ${token}] ${text}`));

  beforeAll(async () => {
    stepFunctions = await startStepFunctionsEndpoint();
    runner = createLocalEcsRunner({
      stepFunctions,
      logger: (line) => log.push(line),
      maxTasks: 1,
      taskDefinitions: {
        [TASK_DEFINITION]: {
          containerName: 'worker',
          command: async () => [process.execPath, '--input-type=module', '-e', REPORTING_WORKER],
          environment: { AWS_ENDPOINT_URL_SFN: stepFunctions.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
          logLabel: (environment) => environment.LABEL ?? '?',
        },
      },
    });
  });
  afterAll(async () => {
    await runner.stopAll();
    await stepFunctions.stop();
  });

  it('starts a task past the cap only when the running one has exited, and the waiting does not count against HeartbeatSeconds', async () => {
    const first = run('first', { MODE: 'busy-then-success', BUSY_MS: '1500' });
    // Queued behind 1.5 s of work with a 1 s heartbeat window: the window opens when it starts, not before.
    const second = run('second', { MODE: 'success' }, { heartbeatSeconds: 1 });

    await expect(Promise.all([first, second])).resolves.toHaveLength(2);
    expect(lineOf('second', 'queued: 1 task(s) running, the cap (LOCAL_MAX_TASKS) is 1')).toBeGreaterThan(-1);
    expect(lineOf('second', 'started:')).toBeGreaterThan(lineOf('first', 'exited with'));
  });

  it('lets a task whose execution stops while it waits leave the line: it never starts', async () => {
    const running = run('running', { MODE: 'busy-then-success', BUSY_MS: '800' });
    const waiting = run('stopped-in-line', { MODE: 'success' });
    await vi.waitFor(() => expect(lineOf('stopped-in-line', 'queued:')).toBeGreaterThan(-1));

    stepFunctions.forgetTask('stopped-in-line');

    await expect(waiting).rejects.toMatchObject({ name: 'States.Aborted' });
    await expect(running).resolves.toBeDefined();
    // The next task gets the slot the stopped one would have had.
    await expect(run('after', { MODE: 'success' })).resolves.toBeDefined();
    expect(lineOf('stopped-in-line', 'started:')).toBe(-1);
  });
});
