import type { ConfigSchema, CursorConfigSchema } from '../../functions/core/config.ts';
import type { EnvironmentOf } from '../../functions/core/environment-contract.ts';
import { Annotations, ArnFormat, Aws, CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { API_ROUTES } from '../../functions/api/routes.ts';
import { powertoolsEnvironment } from '../../functions/core/metrics.ts';
import { pipelineFunctionsOf, readPipelineDefinition } from '../shared/pipeline-definition.ts';
import { namedResources } from '../shared/resources.ts';
import { functionEntry, functionEntryExists, PACKAGE_VERSION, type FunctionGroup } from '../shared/repository.ts';
import { Operations } from './constructs/operations.ts';
import { PipelineWorkflow } from './constructs/pipeline-workflow.ts';
import { TranscodeWorker } from './constructs/transcode-worker.ts';
import { VideoApi } from './constructs/video-api.ts';
import { VidpFunction } from './constructs/vidp-function.ts';
import { WebSite } from './constructs/web-site.ts';
import { resourcePrefix, type DeployConfig } from './deploy-config.ts';
import {
  API_FUNCTIONS,
  applyGrants,
  MAINTENANCE_FUNCTIONS,
  PIPELINE_FUNCTIONS,
  specFor,
  type FunctionSpec,
  type GrantTargets,
} from './function-specs.ts';

export interface StatelessStackProps extends StackProps {
  config: DeployConfig;
  mediaBucket: IBucket;
  videosTable: ITable;
  /** The browser page's built files (infra/aws/site-files.ts). */
  siteDir: string;
}

/** The scheduled cleanup, wired up once functions/maintenance/cleanup.ts exists. */
const CLEANUP_FUNCTION = 'cleanup';
const CLEANUP_SCHEDULE = Schedule.rate(Duration.hours(1));
/** Fails the video of an execution that ended without recording it (functions/core/reconcile.ts). */
const RECONCILE_FUNCTION = 'reconcile-execution';
/** The execution statuses Step Functions announces on the default bus after which no state of ours ran. */
const INTERRUPTED_EXECUTION_STATUSES = ['TIMED_OUT', 'ABORTED', 'FAILED'];

/**
 * Everything that holds no data and can be redeployed at will: the functions, the FFmpeg worker, the
 * workflow, the API, and what operators watch.
 */
export class StatelessStack extends Stack {
  readonly worker: TranscodeWorker;
  readonly workflow: PipelineWorkflow;
  readonly api: VideoApi;
  readonly operations: Operations;
  readonly eventBus: EventBus;
  /** The browser page; none with IAM auth, which a browser cannot sign. */
  readonly site: WebSite | undefined;
  readonly functions: Record<string, VidpFunction> = {};

  private readonly config: DeployConfig;
  /** Of the EMF metrics every function and the worker print (functions/core/metrics.ts), per deployment. */
  private readonly metricsNamespace: string;
  private readonly grantTargets: GrantTargets;
  private readonly logSettings: { logRetention: RetentionDays; logRemovalPolicy: RemovalPolicy };
  private cursorSecretResource?: Secret;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;
    const prefix = resourcePrefix(config);
    this.metricsNamespace = `vidp/${prefix}`;
    const logRetention = config.logRetentionDays as RetentionDays;
    const logRemovalPolicy = config.stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.logSettings = { logRetention, logRemovalPolicy };
    // Named up front and referred to by ARN: the worker and delete-video need it, while the state machine
    // itself depends on the worker's task definition and on the functions.
    const names = namedResources(prefix);
    const stateMachineName = names.stateMachine;
    const statesArn = (resource: string, resourceName: string) =>
      this.formatArn({ service: 'states', resource, resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const stateMachineArn = statesArn('stateMachine', stateMachineName);

    this.eventBus = new EventBus(this, 'Events', {
      eventBusName: names.eventBus,
      description: 'vidp video lifecycle events (VideoSaved, VideoFailed) for other systems to subscribe to',
    });

    this.worker = new TranscodeWorker(this, 'Transcode', {
      namePrefix: prefix,
      bucket: props.mediaBucket,
      table: props.videosTable,
      stateMachineArn,
      cpu: config.transcodeCpu,
      memoryLimitMiB: config.transcodeMemoryMiB,
      ephemeralStorageGiB: config.transcodeEphemeralStorageGiB,
      fargateSpot: config.fargateSpot,
      spotDiscount: config.fargateSpotDiscount,
      segments: { parallelMinSeconds: config.parallelMinSeconds, segmentSeconds: config.segmentSeconds, maxConcurrency: config.segmentMaxConcurrency },
      metricsNamespace: this.metricsNamespace,
      logRetention,
      logRemovalPolicy,
    });
    this.grantTargets = {
      table: props.videosTable,
      bucket: props.mediaBucket,
      executionsArn: statesArn('execution', `${stateMachineName}:*`),
      cluster: this.worker.cluster,
    };

    const taskFunctions: Record<string, IFunction> = {};
    for (const { placeholder, name } of pipelineFunctionsOf(readPipelineDefinition())) {
      taskFunctions[placeholder] = this.addFunction('pipeline', name, PIPELINE_FUNCTIONS);
    }

    this.workflow = new PipelineWorkflow(this, 'Pipeline', {
      stateMachineName,
      bucket: props.mediaBucket,
      table: props.videosTable,
      worker: this.worker,
      taskFunctions,
      eventBus: this.eventBus,
      logRetention,
      logRemovalPolicy,
    });

    const apiHandlers: Record<string, IFunction> = {};
    for (const handler of new Set(API_ROUTES.map((route) => route.handler))) {
      apiHandlers[handler] = this.addFunction('api', handler, API_FUNCTIONS);
    }
    this.api = new VideoApi(this, 'Api', {
      apiName: names.api,
      routes: API_ROUTES,
      handlers: apiHandlers,
      allowedOrigins: config.allowedOrigins,
      auth: config.apiAuth,
      logRetention,
      logRemovalPolicy,
    });

    this.site = this.addSite(props, stateMachineArn);

    let cleanup: IFunction | undefined;
    if (functionEntryExists('maintenance', CLEANUP_FUNCTION)) {
      cleanup = this.addFunction('maintenance', CLEANUP_FUNCTION, MAINTENANCE_FUNCTIONS);
      new Rule(this, 'CleanupSchedule', {
        description: 'Hourly: stale temp/ files, abandoned multipart uploads, expired pending records',
        schedule: CLEANUP_SCHEDULE,
        targets: [new LambdaFunction(cleanup, { retryAttempts: 2 })],
      });
    }

    const reconciler = this.addFunction('maintenance', RECONCILE_FUNCTION, MAINTENANCE_FUNCTIONS);
    new Rule(this, 'InterruptedExecutions', {
      description: 'A pipeline execution that timed out, was aborted or failed outside its Catch: fail its video as interrupted',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: INTERRUPTED_EXECUTION_STATUSES, stateMachineArn: [this.workflow.stateMachine.stateMachineArn] },
      },
      targets: [new LambdaFunction(reconciler, { retryAttempts: 4 })],
    });

    this.operations = new Operations(this, 'Operations', {
      name: prefix,
      metricsNamespace: this.metricsNamespace,
      stateMachine: this.workflow.stateMachine,
      api: this.api.restApi,
      functions: this.functions,
      workerLogGroup: this.worker.logGroup,
      undeliveredUploads: this.workflow.undeliveredUploads,
      ...(cleanup === undefined ? {} : { cleanupFunction: cleanup }),
      ...(config.alarmEmail === undefined ? {} : { alarmEmail: config.alarmEmail }),
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.restApi.url, description: 'Base URL of the API (…/api/)' });
    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    const console = `https://${Aws.REGION}.console.aws.amazon.com`;
    new CfnOutput(this, 'ExecutionsConsoleUrl', {
      value: `${console}/states/home?region=${Aws.REGION}#/statemachines/view/${this.workflow.stateMachine.stateMachineArn}`,
      description: 'Every execution of the pipeline, with its graph and event history',
    });
    new CfnOutput(this, 'DashboardUrl', {
      value: `${console}/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${this.operations.dashboard.dashboardName}`,
    });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
    if (this.site !== undefined) {
      new CfnOutput(this, 'SiteUrl', { value: this.site.url, description: 'The browser page (its API is /api/* on the same origin)' });
    }
  }

  /**
   * The browser page. Here, not in a stack of its own: it holds no data (every file is deployed again from
   * the repository), and its /api/* origin is this stack's API; the media bucket it names comes in as the
   * functions' does. None with IAM auth: the page cannot sign its calls.
   */
  private addSite(props: StatelessStackProps, stateMachineArn: string): WebSite | undefined {
    const { config } = props;
    if (config.apiAuth === 'iam') {
      Annotations.of(this).addInfo(
        'No web site: with apiAuth=iam every API call must be SigV4-signed, which a browser page cannot do (deploy with apiAuth=apiKey for the page).',
      );
      return undefined;
    }
    // The media bucket's CORS cannot name the distribution: the bucket's stack deploys first (this one imports
    // it), so its origins come from the context alone, and the site's domain is known after the first deploy.
    if (!config.allowedOrigins.some((origin) => origin === '*' || origin.endsWith('.cloudfront.net'))) {
      Annotations.of(this).addInfo(
        'The page uploads to the media bucket from the SiteUrl output\'s origin: add it to -c allowedOrigins once it is known.',
      );
    }
    return new WebSite(this, 'Site', {
      siteDir: props.siteDir,
      restApi: this.api.restApi,
      mediaBucket: props.mediaBucket,
      stateMachineArn,
      apiKeyRequired: config.apiAuth === 'apiKey',
      ...this.logSettings,
    });
  }

  /** A VidpFunction for functions/{group}/{name}.ts with the environment every handler parses and its grants. */
  private addFunction(
    group: FunctionGroup,
    name: string,
    registry: Readonly<Record<string, FunctionSpec>>,
  ): VidpFunction {
    const file = `functions/${group}/${name}.ts`;
    if (!functionEntryExists(group, name)) throw new Error(`${file} does not exist, yet the ${group} wiring names it`);
    const spec = specFor(registry, file, name);
    const fn = new VidpFunction(this, `${pascalCase(name)}Function`, {
      entry: functionEntry(group, name),
      description: `vidp ${file}`,
      ...(spec.timeout === undefined ? {} : { timeout: spec.timeout }),
      ...this.logSettings,
      environment: {
        ...powertoolsEnvironment(name, this.metricsNamespace),
        ...this.handlerEnvironment(),
        ...(spec.cursorSecret ? ({ CURSOR_SECRET_ARN: this.cursorSecret().secretArn } satisfies EnvironmentOf<typeof CursorConfigSchema>) : {}),
        ...(spec.subtitleFetch ? { SUBTITLE_ALLOWED_HOSTS: this.config.subtitleAllowedHosts } : {}),
      },
    });
    applyGrants(fn.role!, spec.grants, this.grantTargets);
    if (spec.cursorSecret) this.cursorSecret().grantRead(fn);
    this.functions[name] = fn;
    return fn;
  }

  /** What functions/core/config.ts parses at cold start (the rest keeps its defaults). */
  private handlerEnvironment(): Record<string, string> {
    return {
      MEDIA_BUCKET: this.grantTargets.bucket.bucketName,
      VIDEOS_TABLE: this.grantTargets.table.tableName,
      MAX_UPLOAD_BYTES: String(this.config.maxUploadBytes),
      ALLOWED_ORIGINS: this.config.allowedOrigins.join(','),
      VIDP_VERSION: PACKAGE_VERSION,
    } satisfies EnvironmentOf<typeof ConfigSchema>;
  }

  /**
   * The key that signs list cursors: generated once per deployment by Secrets Manager, never in the
   * template, the repository or a function's environment. The function that needs it gets the secret's ARN
   * and reads the value at run time (functions/core/cursor-secret.ts).
   */
  private cursorSecret(): Secret {
    if (this.cursorSecretResource === undefined) {
      this.cursorSecretResource = new Secret(this, 'CursorSecret', {
        description: 'vidp: signs GET /videos page cursors (rotating it only invalidates cursors in flight)',
        generateSecretString: { passwordLength: 64, excludePunctuation: true },
      });
      Validations.of(this.cursorSecretResource).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'An HMAC key for short-lived list cursors, not a credential: rotating it only makes clients restart a listing. ' +
          'Rotate by hand when needed (a new value; functions read it again within five minutes); automatic ' +
          'rotation would need a rotation Lambda.',
      });
    }
    return this.cursorSecretResource;
  }
}

function pascalCase(kebab: string): string {
  return kebab.replace(/(^|-)(\w)/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
}
