import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { REPO_ROOT } from '../shared/repository.ts';
import { firstTranscodeCapacity, WORKER_CONTAINER_NAME } from '../shared/resources.ts';
import { startGateway } from './apigateway/http-gateway.ts';
import { hostVariables, localAwsEnvironment, localPlatformEnvironment, localWorkerTaskEnvironment } from './aws-environment.ts';
import { credentialsEnvironment } from './iam/credentials.ts';
import { assertPoliciesNameLocalResources, LocalAccess } from './iam/local-access.ts';
import { requiredActionsForExecution } from './iam/required-actions.ts';
import { loadLocalIamModel, type LocalIamModel } from './iam/synthesized-policies.ts';
import { createConsoleLog, type CloudLog } from './cloud-log.ts';
import { accessDeniedMessage } from './iam/access-denied.ts';
import { startLocalDynamoDb } from './dynamodb/local-dynamodb.ts';
import { startEcsEndpoint } from './ecs/ecs-endpoint.ts';
import { createLocalEcsRunner, type LocalEcsLaunch } from './ecs/task-runner.ts';
import type { LocalTaskRecord } from './ecs/capacity-providers.ts';
import { bundleWorker } from './ecs/worker-bundle.ts';
import { LocalEventBus } from './events/event-bus.ts';
import { connectUploadsToWorkflow } from './events/s3-upload-rule.ts';
import { routeInterruptedExecutions } from './events/execution-status-rule.ts';
import { startScheduler } from './events/scheduler.ts';
import { createLambdaContext } from './lambda/context.ts';
import { createFunctionHost } from './lambda/function-host.ts';
import { HandlerUnavailableError } from './lambda/handler.ts';
import {
  CLEANUP_FUNCTION_MODULE,
  LOCAL_CLUSTER_ARN,
  localFunctionOf,
  RECONCILE_FUNCTION_MODULE,
  LOCAL_ADMIN_CREDENTIALS,
  LOCAL_BUCKET,
  LOCAL_EVENT_BUS_NAME,
  LOCAL_LAMBDA_FUNCTIONS,
  LOCAL_REGION,
  LOCAL_SUBSTITUTIONS,
  LOCAL_TABLE,
  STATE_MACHINE_ARN,
  STATE_MACHINE_NAME,
  TRANSCODE_TASK_DEFINITION_ARN,
} from './local-resources.ts';
import type { S3FaultRule } from './s3/fault-injection.ts';
import type { S3RequestRecord } from './s3/request-log.ts';
import { startLocalS3 } from './s3/local-s3.ts';
import { buildLocalSiteFiles, localSite } from './site/local-site.ts';
import { ExecutionRegistry } from './stepfunctions/execution-registry.ts';
import { createLocalIntegrations } from './stepfunctions/integrations/all-integrations.ts';
import { startStepFunctionsEndpoint } from './stepfunctions/sfn-endpoint.ts';
import { authorizedIntegrations } from './stepfunctions/task-authorization.ts';
import { createWorkflow, loadPipelineDefinition, type RetryIntervalOverrides } from './stepfunctions/state-machine.ts';

export interface LocalCloudOptions {
  /** Port of the HTTP gateway; 0 picks a free one. Default: env PORT, else 3000. */
  port?: number;
  /** Keep S3 objects and DynamoDB items here across restarts; default: temporary, gone on stop. */
  dataDir?: string;
  /** Where the cloud says what it does; default: timestamped lines on stderr. */
  logger?: CloudLog;
  /** Extra environment of the worker container (its task definition's), e.g. FFMPEG_PRESET or a font path. */
  workerEnv?: Record<string, string>;
  /** Waits before Retry attempts, in ms by state name (tests: 0). */
  retryIntervalOverrides?: RetryIntervalOverrides;
  /**
   * The simulated time from RunTask to the worker's start (placement, image pull). Default: env
   * FARGATE_START_SECONDS, else 0. It counts against the Transcode state's HeartbeatSeconds, as on AWS.
   */
  fargateStartSeconds?: number;
  /** Extra environment of the Lambda functions (their configuration on AWS), e.g. SUBTITLE_ALLOWED_HOSTS. */
  functionEnv?: Record<string, string>;
  /** How often the scheduled cleanup runs; 0 turns the schedule off (it can still be run on demand). Default 1 h. */
  cleanupIntervalMs?: number;
  /**
   * The IAM the cloud enforces. Default: the CDK app's synthesized policies (iam/synthesized-policies.ts),
   * read from .build/iam-policies.json while the sources that shape them are unchanged. Tests pass a model
   * synthesized with a grant taken away (synthesizeLocalIamModel) to see the path that needed it refused.
   */
  iam?: LocalIamModel;
  /**
   * How ECS tasks run: `process` (a child process of this one) or `docker` (a container of the worker image,
   * `npm run image`). Default: env LOCAL_ECS, else `process`.
   */
  ecsLaunch?: LocalEcsLaunch;
  /** The worker image the docker launch runs. Default: env LOCAL_ECS_IMAGE, else vidp-ffmpeg-worker:local. */
  workerImage?: string;
  /**
   * At most this many ECS tasks (encodes) run at once; the others wait their turn, their videos `queued`.
   * Default: env LOCAL_MAX_TASKS, else the number of cores.
   */
  maxTasks?: number;
  /**
   * Transcodes run on FARGATE_SPOT first, as deployed by default (an interrupted one runs again on FARGATE);
   * false runs them on FARGATE, as `-c fargateSpot=false` does. Default: env LOCAL_FARGATE_SPOT, else true.
   */
  fargateSpot?: boolean;
}

/** The deploy's default task size (infra/aws/deploy-config.ts): 2 vCPU, 4 GiB. */
const LOCAL_TRANSCODE_CPU = 2048;
const LOCAL_TRANSCODE_MEMORY_MIB = 4096;
export const DEFAULT_WORKER_IMAGE = 'vidp-ffmpeg-worker:local';

function maxTasksOf(value: string | undefined): number {
  if (value === undefined || value === '') return availableParallelism();
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new Error(`LOCAL_MAX_TASKS must be a whole number of at least 1, not "${value}"`);
  return Number(value);
}

function fargateSpotOf(value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'true') return true;
  if (value === 'false') return false;
  throw new Error(`LOCAL_FARGATE_SPOT must be "true" or "false", not "${value}"`);
}

function ecsLaunchOf(value: string | undefined): LocalEcsLaunch {
  if (value === undefined || value === '' || value === 'process') return 'process';
  if (value === 'docker') return 'docker';
  throw new Error(`LOCAL_ECS must be "process" or "docker", not "${value}"`);
}

export interface LocalCloud {
  /** Base URL of the REST API, e.g. http://127.0.0.1:3000/api */
  apiUrl: string;
  /** Base URL of the gateway (the API is under /api, the local endpoints under /_local). */
  gatewayUrl: string;
  s3Endpoint: string;
  /** Where the local S3 keeps its objects (an object's age is its file's mtime). */
  s3Directory: string;
  dynamodbEndpoint: string;
  /** The Step Functions endpoint the worker reports to (SendTaskSuccess/Failure/Heartbeat). */
  stepFunctionsEndpoint: string;
  /** The ECS API (StopTask) the functions call. */
  ecsEndpoint: string;
  /** How many ECS tasks run at once at most (LOCAL_MAX_TASKS). */
  maxTasks: number;
  bucket: string;
  table: string;
  executions: ExecutionRegistry;
  /** What the workflow published (VideoSaved, VideoFailed). */
  events: LocalEventBus;
  /** Runs a schedule now ('cleanup'), resolving with what its function returned. */
  runSchedule(name: 'cleanup'): Promise<unknown>;
  /** Makes the local S3 fail the next matching requests with a 5xx. */
  injectS3Fault(rule: S3FaultRule): void;
  /** The requests the local S3 received for `key` (method, range, status), as its access log lists them. */
  s3RequestsFor(key: string): S3RequestRecord[];
  /** Invokes the function of `functions/{group}/{name}.ts` directly, as `aws lambda invoke` would. */
  invokeFunction(modulePath: string, event: unknown): Promise<unknown>;
  /** Who holds which credentials, and what each may do: tests act as a role with its credentials. */
  access: LocalAccess;
  /** Every ECS task started, oldest first, with the capacity provider it ran on (also `GET /_local/tasks`). */
  ecsTasks(): LocalTaskRecord[];
  /**
   * Fargate reclaiming a running Spot task, named by its ARN, id or video id: SIGTERM to its worker (also
   * `POST /_local/tasks/{id}/interrupt`). Refused (SpotInterruptionRefusedError) for a task on FARGATE.
   */
  interruptSpotTask(reference: string): LocalTaskRecord;
  stop(): Promise<void>;
}

/**
 * The whole of vidp on 127.0.0.1: S3 (s3rver) and DynamoDB (dynalite), the pipeline's ASL run by
 * aws-local-stepfunctions with a local equivalent for each integration, S3 uploads starting it as the
 * EventBridge rule does, the worker run as a child process, each Lambda function in a sandbox of its own,
 * and the REST API behind a local API Gateway.
 *
 * Every AWS call it serves is authorized as AWS would authorize it, against the policies the CDK app
 * synthesizes (iam/): each function runs with its own role's credentials, the worker with the task role's,
 * the ASL's Tasks under the state machine role, the upload rule under its role. S3, DynamoDB, Step Functions
 * and ECS verify each request's signature and refuse what its signer's role is not allowed.
 */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const logger = options.logger ?? createConsoleLog();
  const port = options.port ?? Number(process.env.PORT ?? 3000);
  const cleanups: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logger(`[cloud] while stopping: ${String(error)}`);
      }
    }
  };

  // The page is built while the services start (esbuild works off the main thread); awaited before the gateway.
  const siteBuildStartedAt = Date.now();
  const siteFiles = buildLocalSiteFiles().then((files) => ({ files, builtInMs: Date.now() - siteBuildStartedAt }));
  siteFiles.catch(() => undefined); // a failed build is reported where it is awaited, not as an unhandled rejection
  // CORS on the API and on the media bucket alike, as the CDK app sets both from `allowedOrigins`.
  const allowedOrigins = (process.env.ALLOWED_ORIGINS ?? '*').split(',').map((origin) => origin.trim()).filter(Boolean);

  try {
    const iam = options.iam ?? (await loadPolicies(logger));
    assertPoliciesNameLocalResources(iam, {
      bucket: LOCAL_BUCKET,
      table: LOCAL_TABLE,
      stateMachineArn: STATE_MACHINE_ARN,
      clusterArn: LOCAL_CLUSTER_ARN,
      taskDefinitionArn: TRANSCODE_TASK_DEFINITION_ARN,
      eventBusName: LOCAL_EVENT_BUS_NAME,
      functionArns: Object.keys(LOCAL_LAMBDA_FUNCTIONS),
    });
    const access = new LocalAccess(iam);
    const s3 = await startLocalS3({
      bucket: LOCAL_BUCKET,
      allowedOrigins,
      ...dataDirOption(options.dataDir),
      logger,
      lookupSecret: access.credentials.lookupSecret,
      access,
    });
    cleanups.push(s3.stop);
    const dynamodb = await startLocalDynamoDb({ table: LOCAL_TABLE, ...dataDirOption(options.dataDir), access, logger });
    cleanups.push(dynamodb.stop);
    // StopExecution and DescribeExecution reach the registry, which exists only once the workflow is loaded below.
    let registry: ExecutionRegistry | undefined;
    const loadedRegistry = () => {
      if (registry === undefined) throw new Error('The workflow is not loaded yet');
      return registry;
    };
    const stepFunctions = await startStepFunctionsEndpoint({
      logger,
      stopExecution: (executionArn, error, cause) => loadedRegistry().stop(executionArn, error, cause),
      describeExecution: (executionArn) => loadedRegistry().describe(executionArn),
      access,
      stateMachineArn: STATE_MACHINE_ARN,
    });
    cleanups.push(stepFunctions.stop);

    // What a Lambda function reads at cold start; they call Step Functions too (DELETE stops a running execution).
    const awsEnvironment = localAwsEnvironment({ s3: s3.endpoint, dynamodb: dynamodb.endpoint, bucket: s3.bucket, table: dynamodb.table });

    const ecsEndpoint = await startEcsEndpoint({ access });
    cleanups.push(ecsEndpoint.stop);
    const ecsLaunch = options.ecsLaunch ?? ecsLaunchOf(process.env.LOCAL_ECS);
    const workerImage = options.workerImage ?? process.env.LOCAL_ECS_IMAGE ?? DEFAULT_WORKER_IMAGE;
    // The docker launch runs the image's own bundle; the process launch bundles the same source here.
    const workerCommand = ecsLaunch === 'docker' ? async () => [] : await prepareWorker(logger, cleanups);
    if (ecsLaunch === 'docker') logger(`[cloud] ECS tasks run as containers of ${workerImage}`);
    const maxTasks = options.maxTasks ?? maxTasksOf(process.env.LOCAL_MAX_TASKS);
    const ecs = createLocalEcsRunner({
      taskDefinitions: {
        [TRANSCODE_TASK_DEFINITION_ARN]: {
          containerName: WORKER_CONTAINER_NAME,
          command: workerCommand,
          // What the container gets on Fargate: the platform's variables and the task definition's (no
          // Lambda configuration such as the cursor key); the job comes from ContainerOverrides.
          // LOG_FORMAT: the worker's lines are read by a person here, after the cloud's prefix (on AWS: JSON).
          environment: {
            ...localPlatformEnvironment({ s3: s3.endpoint, dynamodb: dynamodb.endpoint, stepFunctions: stepFunctions.endpoint }),
            ...(localWorkerTaskEnvironment({ bucket: s3.bucket, table: dynamodb.table }) as Record<string, string>),
            LOG_FORMAT: 'text',
            ...options.workerEnv,
          },
          // The video id, and which part of a segmented encode: `{id}/v001`, `{id}/audio`, `{id}/join`.
          logLabel: (environment) => {
            const part = environment.WORKER_STAGE === 'join' ? 'join' : environment.SEGMENT;
            return `${environment.VIDEO_ID ?? 'task'}${part === undefined ? '' : `/${part}`}`;
          },
          // The task role, as a session named after the task (what ECS's credentials endpoint hands the SDK).
          taskEnvironment: ({ taskId }) => credentialsEnvironment(access.roleCredentials('ecsTask', taskId)),
          cpu: LOCAL_TRANSCODE_CPU,
          memoryMiB: LOCAL_TRANSCODE_MEMORY_MIB,
          image: workerImage,
        },
      },
      stepFunctions,
      logger,
      fargateStartMs: 1000 * (options.fargateStartSeconds ?? Number(process.env.FARGATE_START_SECONDS ?? 0)),
      ecsEndpoint,
      clusterArn: LOCAL_CLUSTER_ARN,
      launch: ecsLaunch,
      maxTasks,
    });
    cleanups.push(ecs.stopAll);

    // The ASL's DynamoDB and S3 Tasks call with the state machine role's credentials, as Step Functions does.
    const stateMachineConfig = { region: LOCAL_REGION, credentials: access.roleCredentials('stateMachine', STATE_MACHINE_NAME) };
    const dynamodbClient = new DynamoDBClient({ ...stateMachineConfig, endpoint: dynamodb.endpoint });
    const s3Client = new S3Client({ ...stateMachineConfig, ...s3ClientOptions(s3.endpoint) });
    // S3 reading its own object for the event it sends: no principal of the pipeline.
    const s3Itself = new S3Client({ region: LOCAL_REGION, credentials: LOCAL_ADMIN_CREDENTIALS, ...s3ClientOptions(s3.endpoint) });
    cleanups.push(() => dynamodbClient.destroy(), () => s3Client.destroy(), () => s3Itself.destroy());

    // Each function in a sandbox of its own (a worker thread), with the environment the stack gives it.
    const functionEnvironment = {
      ...hostVariables(FUNCTION_HOST_VARIABLES),
      ...awsEnvironment,
      AWS_ENDPOINT_URL_SFN: stepFunctions.endpoint,
      // DELETE stops a running encode with StopTask.
      AWS_ENDPOINT_URL_ECS: ecsEndpoint.endpoint,
      ...options.functionEnv,
    };
    const specOfModule = new Map(Object.entries(iam.principals.functions).map(([specName, fn]) => [fn.module, specName]));
    const functions = createFunctionHost({
      functionFor: (modulePath) => {
        const specName = specOfModule.get(modulePath);
        if (specName === undefined) throw new HandlerUnavailableError(`${modulePath} is no function of the CDK app: it has no role to run under`);
        const credentials = credentialsEnvironment(access.functionCredentials(specName));
        return { ...localFunctionOf(modulePath), modulePath, environment: { ...functionEnvironment, ...credentials } };
      },
      logger,
    });
    cleanups.push(functions.stop);
    const loadHandler = functions.loadHandler;
    const events = new LocalEventBus(logger);
    const { taskDefinition } = iam.resources;
    const workflow = createWorkflow({
      definition: loadPipelineDefinition({
        ...LOCAL_SUBSTITUTIONS,
        TranscodeCapacityProvider: firstTranscodeCapacity(options.fargateSpot ?? fargateSpotOf(process.env.LOCAL_FARGATE_SPOT)),
      }),
      integrations: authorizedIntegrations(createLocalIntegrations({ dynamodb: dynamodbClient, s3: s3Client, loadHandler, ecs, events }), {
        account: access.account,
        authorize: (requests, executionName) => access.authorize(access.principalOf('stateMachine', executionName), requests),
        taskDefinition: (arnOrFamily) =>
          [taskDefinition.arn, taskDefinition.family].includes(arnOrFamily) || arnOrFamily.startsWith(`${taskDefinition.family}:`)
            ? taskDefinition
            : {},
      }),
      ...(options.retryIntervalOverrides === undefined ? {} : { retryIntervalOverrides: options.retryIntervalOverrides }),
    });
    let accepting = true;
    const invokeFunction = async (modulePath: string, event: unknown, invocation: { requestId?: string; timeoutMs?: number } = {}) => {
      const handler = await loadHandler(modulePath);
      return handler(
        event,
        createLambdaContext({
          functionName: localFunctionOf(modulePath).name,
          requestId: invocation.requestId ?? randomUUID(),
          timeoutMs: invocation.timeoutMs ?? 60_000,
        }),
      );
    };
    const executions = new ExecutionRegistry({
      workflow,
      logger,
      // Executions the cloud aborts as it stops are reconciled when it starts again on the same data.
      onEnded: routeInterruptedExecutions((event) => (accepting ? invokeFunction(RECONCILE_FUNCTION_MODULE, event) : Promise.resolve()), logger),
    });
    registry = executions;
    cleanups.push(async () => {
      accepting = false;
      await executions.abortAll();
    });

    // The EventBridge schedule of the cleanup function.
    const scheduler = startScheduler(
      [
        {
          name: 'cleanup',
          everyMs: options.cleanupIntervalMs ?? 3_600_000,
          run: (event) => invokeFunction(CLEANUP_FUNCTION_MODULE, event, { requestId: event.id, timeoutMs: 900_000 }),
        },
      ],
      logger,
    );
    cleanups.push(scheduler.stop);
    if (options.dataDir !== undefined) {
      // Records kept from an earlier run may be `processing` for executions that died with it: the cleanup's
      // reconciler fails them as interrupted (retryable) now, rather than at the next hourly run.
      scheduler.runNow('cleanup').catch((error: unknown) => logger(`[cloud] the cleanup at start failed: ${String(error)}`));
    }

    // The SourceUploaded rule's target: StartExecution under the rule's role. Refused, EventBridge would retry
    // for 24 h and then put the event in the rule's dead-letter queue; locally it says so once.
    const uploadRule = access.principalOf('sourceUploadedRule', 'SourceUploaded');
    connectUploadsToWorkflow({
      s3,
      bucket: s3.bucket,
      startExecution: async (input) => {
        if (!accepting) return '';
        const allowed = await access.authorize(uploadRule, requiredActionsForExecution('StartExecution', STATE_MACHINE_ARN));
        if (!allowed.allowed) {
          throw new Error(
            `FailedInvocation: the rule's role may not start the pipeline (AccessDeniedException: ${accessDeniedMessage(allowed.denial)}); ` +
              'on AWS the event goes to the dead-letter queue after 24 h of retries',
          );
        }
        return executions.start(input);
      },
      logger,
      lookUpEtag: async (key) => (await s3Itself.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }))).ETag,
    });

    let gatewayUrl = '';
    const info = () => ({
      apiUrl: `${gatewayUrl}/api`,
      executionsUrl: `${gatewayUrl}/_local/executions`,
      s3Endpoint: s3.endpoint,
      dynamodbEndpoint: dynamodb.endpoint,
      stepFunctionsEndpoint: stepFunctions.endpoint,
      bucket: s3.bucket,
      table: dynamodb.table,
      stateMachineArn: STATE_MACHINE_ARN,
      dataDir: options.dataDir ?? null,
    });
    const site = await siteFiles;
    logger(`[cloud] web page built in ${site.builtInMs} ms`);
    const gateway = await startGateway({
      port,
      loadHandler,
      logger,
      allowedOrigins,
      site: localSite(site.files, s3.endpoint),
      local: {
        info,
        listExecutions: () => executions.list(),
        getExecution: (name) => executions.get(name),
        listEvents: () => events.list(),
        runSchedule: (name) => scheduler.runNow(name),
        listTasks: () => ecs.tasks(),
        interruptSpotTask: (reference) => ecs.interruptSpotTask(reference),
      },
    });
    cleanups.push(gateway.stop);
    gatewayUrl = gateway.url;

    return {
      apiUrl: `${gateway.url}/api`,
      gatewayUrl: gateway.url,
      s3Endpoint: s3.endpoint,
      s3Directory: s3.directory,
      dynamodbEndpoint: dynamodb.endpoint,
      stepFunctionsEndpoint: stepFunctions.endpoint,
      ecsEndpoint: ecsEndpoint.endpoint,
      maxTasks,
      bucket: s3.bucket,
      table: dynamodb.table,
      executions,
      events,
      runSchedule: (name) => scheduler.runNow(name),
      injectS3Fault: (rule) => s3.injectFault(rule),
      s3RequestsFor: (key) => s3.requestsFor(key),
      invokeFunction,
      access,
      ecsTasks: () => ecs.tasks(),
      interruptSpotTask: (reference) => ecs.interruptSpotTask(reference),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Of the local cloud's own environment, what a function still sees: the shell's basics and the log settings. */
const FUNCTION_HOST_VARIABLES = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'LOG_LEVEL', 'LOG_FORMAT', 'POWERTOOLS_DEV', 'POWERTOOLS_METRICS_DISABLED'];


/** The CDK app's policies, from the cache when the sources that shape them are unchanged (a cold start synthesizes). */
async function loadPolicies(logger: CloudLog): Promise<LocalIamModel> {
  const { model, cache, timingsMs } = await loadLocalIamModel();
  logger(
    cache === 'hit'
      ? `[iam] the CDK app's policies, from .build/iam-policies.json, in ${Math.round(timingsMs.total)} ms`
      : `[iam] the CDK app synthesized for its policies in ${(timingsMs.total / 1000).toFixed(1)} s (cached for the next start)`,
  );
  return model;
}

function s3ClientOptions(endpoint: string) {
  return { endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } as const;
}

function dataDirOption(dataDir: string | undefined): { dataDir?: string } {
  return dataDir === undefined ? {} : { dataDir };
}

/**
 * Bundles the worker once, as the image build does, so every task runs the same bundle. A worker that does
 * not compile stops the start (fail fast).
 */
async function prepareWorker(logger: CloudLog, cleanups: (() => Promise<void> | void)[]): Promise<() => Promise<string[]>> {
  // Inside the repository (git-ignored .build/), so a bundle that leaves packages external still resolves them.
  await mkdir(join(REPO_ROOT, '.build'), { recursive: true });
  const outDir = await mkdtemp(join(REPO_ROOT, '.build', 'local-worker-'));
  cleanups.push(() => rm(outDir, { recursive: true, force: true }));
  const startedAt = Date.now();
  const bundle = await bundleWorker(outDir);
  logger(`[cloud] worker bundled in ${Date.now() - startedAt} ms`);
  return async () => [process.execPath, bundle];
}
