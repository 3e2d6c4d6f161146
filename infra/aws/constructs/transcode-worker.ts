import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FlowLogDestination, FlowLogTrafficType, Peer, Port, SecurityGroup, SubnetType, Vpc, type ISubnet } from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import {
  Cluster,
  ContainerImage,
  ContainerInsights,
  CpuArchitecture,
  FargateTaskDefinition,
  LogDrivers,
  OperatingSystemFamily,
  type ContainerDefinition,
} from 'aws-cdk-lib/aws-ecs';
import { PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { TEMP_PREFIX, UPLOADS_PREFIX, VIDEOS_PREFIX } from '../../../functions/core/keys.ts';
import { METRIC_SERVICES, powertoolsEnvironment } from '../../../functions/core/metrics.ts';
import { REPO_ROOT, WORKER_DOCKERFILE } from '../../shared/repository.ts';
import type { WorkerTaskEnvironmentSchema } from '../../../containers/ffmpeg/src/config.ts';
import type { SegmentSettings } from '../../../containers/ffmpeg/src/segment-plan.ts';
import { FARGATE_ARM64_PRICES } from '../../../containers/ffmpeg/src/cost.ts';
import type { EnvironmentOf } from '../../../functions/core/environment-contract.ts';
import { firstTranscodeCapacity, namedResources, WORKER_CONTAINER_NAME } from '../../shared/resources.ts';
import type { CapacityProvider } from '../../../functions/core/video.ts';
import { objectPrefixReason } from '../function-specs.ts';
import { acknowledgeWildcardResource } from '../nag.ts';

/** The container's fixed environment, typed by what the worker parses (a name it does not read fails to compile). */
function workerTaskEnvironment(environment: EnvironmentOf<typeof WorkerTaskEnvironmentSchema>): Record<string, string> {
  return environment as Record<string, string>;
}

export interface TranscodeWorkerProps {
  namePrefix: string;
  bucket: IBucket;
  table: ITable;
  /** The state machine whose task tokens the worker answers (by ARN: the machine depends on this construct). */
  stateMachineArn: string;
  cpu: number;
  memoryLimitMiB: number;
  ephemeralStorageGiB: number;
  /** Run transcodes on FARGATE_SPOT first (an interrupted one runs again on FARGATE); false: on FARGATE only. */
  fargateSpot: boolean;
  /** The cost estimate's Spot discount off the on-demand prices (0.5: half price). */
  spotDiscount: number;
  /** When a long video is encoded as parallel segments, and into how many at most. */
  segments: SegmentSettings;
  /** Of the EMF metrics the worker prints (VideosSaved, EncodeSecondsPerOutputMinute). */
  metricsNamespace: string;
  logRetention: RetentionDays;
  logRemovalPolicy: RemovalPolicy;
}

/**
 * The FFmpeg worker on Fargate: a task the workflow runs once per video (RunTask, .waitForTaskToken).
 * The network is two public subnets and no NAT gateway: each task gets a public IP to reach S3, DynamoDB,
 * Step Functions and ECR, which costs nothing while no task runs (a NAT gateway costs ~$33 a month idle).
 */
export class TranscodeWorker extends Construct {
  readonly cluster: Cluster;
  readonly taskDefinition: FargateTaskDefinition;
  readonly container: ContainerDefinition;
  readonly securityGroup: SecurityGroup;
  readonly subnets: [ISubnet, ISubnet];
  readonly logGroup: LogGroup;
  /** `arn:…:task-definition/{family}:*`, what RunTask is allowed on. */
  readonly taskDefinitionFamilyArn: string;
  /** Where a transcode runs first (the ASL's `${TranscodeCapacityProvider}`). */
  readonly firstCapacityProvider: CapacityProvider;

  constructor(scope: Construct, id: string, props: TranscodeWorkerProps) {
    super(scope, id);

    const vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 }],
      // Nothing is placed in the default security group; locking it down needs a custom-resource Lambda.
      restrictDefaultSecurityGroup: false,
    });
    // Rejected packets only: the worker accepts no inbound traffic, so these are the ones worth seeing.
    vpc.addFlowLog('RejectedTraffic', {
      trafficType: FlowLogTrafficType.REJECT,
      destination: FlowLogDestination.toCloudWatchLogs(
        new LogGroup(this, 'FlowLogs', { retention: props.logRetention, removalPolicy: props.logRemovalPolicy }),
      ),
    });
    const [subnetA, subnetB] = vpc.publicSubnets;
    this.subnets = [subnetA!, subnetB!];

    this.securityGroup = new SecurityGroup(this, 'WorkerSecurityGroup', {
      vpc,
      description: 'vidp FFmpeg worker: no inbound; outbound HTTPS only (S3, DynamoDB, Step Functions, ECR)',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'AWS APIs and presigned S3 URLs over HTTPS');

    // Both Fargate capacity providers, whatever fargateSpot says: the workflow picks one per RunTask (Spot
    // first when enabled, on-demand after an interruption), and an unused provider costs nothing.
    this.cluster = new Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ContainerInsights.ENABLED,
      enableFargateCapacityProviders: true,
    });
    this.firstCapacityProvider = firstTranscodeCapacity(props.fargateSpot);

    this.taskDefinition = new FargateTaskDefinition(this, 'TaskDefinition', {
      family: namedResources(props.namePrefix).transcodeTaskFamily,
      cpu: props.cpu,
      memoryLimitMiB: props.memoryLimitMiB,
      // Fargate's default is 20 GiB and setting it at all starts at 21, so only a bigger disk is set.
      ...(props.ephemeralStorageGiB > 20 ? { ephemeralStorageGiB: props.ephemeralStorageGiB } : {}),
      runtimePlatform: { cpuArchitecture: CpuArchitecture.ARM64, operatingSystemFamily: OperatingSystemFamily.LINUX },
    });
    this.taskDefinitionFamilyArn = Stack.of(this).formatArn({
      service: 'ecs',
      resource: 'task-definition',
      resourceName: `${this.taskDefinition.family}:*`,
    });

    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.logRemovalPolicy });
    this.container = this.taskDefinition.addContainer('Worker', {
      containerName: WORKER_CONTAINER_NAME,
      // Staged at synth (no Docker needed until deploy); the build context is the repository root, which
      // its .dockerignore trims to what the Dockerfile copies.
      image: ContainerImage.fromAsset(REPO_ROOT, { file: WORKER_DOCKERFILE, platform: Platform.LINUX_ARM64 }),
      logging: LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'transcode' }),
      // The fixed part of the worker's configuration; the job itself comes from the ASL's ContainerOverrides.
      environment: {
        ...workerTaskEnvironment({
          MEDIA_BUCKET: props.bucket.bucketName,
          VIDEOS_TABLE: props.table.tableName,
          // What the worker prices its own run with (the cost estimate on each video record).
          FARGATE_VCPU: String(props.cpu / 1024),
          FARGATE_MEMORY_GB: String(props.memoryLimitMiB / 1024),
          FARGATE_VCPU_HOUR_USD: String(FARGATE_ARM64_PRICES.vcpuHourUsd),
          FARGATE_GB_HOUR_USD: String(FARGATE_ARM64_PRICES.gbHourUsd),
          FARGATE_SPOT_DISCOUNT: String(props.spotDiscount),
          // When a long video is encoded as parallel segments (the README's "Long videos").
          PARALLEL_MIN_SECONDS: String(props.segments.parallelMinSeconds),
          SEGMENT_SECONDS: String(props.segments.segmentSeconds),
          SEGMENT_MAX_CONCURRENCY: String(props.segments.maxConcurrency),
        }),
        // Powertools Logger and Metrics: the `service` of its log lines and metrics, and where they count.
        ...powertoolsEnvironment(METRIC_SERVICES.worker, props.metricsNamespace),
      },
    });

    grantWorkerAccess(this.taskDefinition.taskRole, props);
    for (const prefix of [UPLOADS_PREFIX, TEMP_PREFIX, VIDEOS_PREFIX]) {
      const objects = props.bucket.arnForObjects(`${prefix}*`);
      acknowledgeWildcardResource(this.taskDefinition.taskRole, objects, objectPrefixReason(prefix));
    }

    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment holds the bucket and table names, the task size and prices and the metrics namespace, no ' +
        'secrets; per-job values come from the workflow.',
    });
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Image pull: ecr:GetAuthorizationToken supports no resource-level permissions.',
    });
  }

  /** The task role and the execution role, both handed to ECS by whoever runs the task. */
  get passRoles(): IRole[] {
    return [this.taskDefinition.taskRole, this.taskDefinition.obtainExecutionRole()];
  }
}

/** What the worker (containers/ffmpeg/src) calls, and nothing else. */
function grantWorkerAccess(taskRole: IRole, props: TranscodeWorkerProps): void {
  const { bucket, table } = props;
  const allow = (actions: string[], resources: string[]) =>
    taskRole.addToPrincipalPolicy(new PolicyStatement({ actions, resources }));
  // The source (HeadObject, then ffmpeg reads it through a presigned GET) and the prepared subtitles.
  allow(['s3:GetObject'], [bucket.arnForObjects(`${UPLOADS_PREFIX}*`), bucket.arnForObjects(`${TEMP_PREFIX}*`)]);
  // So a vanished source reads as 404 (input_invalid) rather than 403 (worker_misconfigured).
  allow(['s3:ListBucket'], [bucket.bucketArn]);
  // The output; lib-storage uploads big files in parts and aborts them when the job is stopped.
  allow(['s3:PutObject', 's3:AbortMultipartUpload'], [bucket.arnForObjects(`${VIDEOS_PREFIX}*`)]);
  // A segmented encode's working files: the plan, each segment's part and report, deleted by the join.
  allow(['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'], [bucket.arnForObjects(`${TEMP_PREFIX}*`)]);
  // Progress and warnings: conditional updates of the record.
  allow(['dynamodb:UpdateItem'], [table.tableArn]);
  // The job's answer and the heartbeats that keep it alive.
  allow(['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'], [props.stateMachineArn]);
}
