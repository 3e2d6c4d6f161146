import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, ProjectionType, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  CfnBucket,
  HttpMethods,
  ObjectOwnership,
  StorageClass,
  type IBucket,
  type LifecycleRule,
} from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { TEMP_PREFIX, VIDEOS_PREFIX } from '../../functions/core/keys.ts';
import { MEDIA_BUCKET_CORS_RULES, VIDEOS_TABLE_DEFINITION } from '../shared/resources.ts';
import type { DeployConfig } from './deploy-config.ts';

export interface StatefulStackProps extends StackProps {
  config: DeployConfig;
}

/**
 * What holds data: the media bucket and the videos table. Kept apart from everything else so the
 * stateless stack can be replaced, renamed or torn down without putting a single video at risk.
 */
export class StatefulStack extends Stack {
  readonly mediaBucket: IBucket;
  readonly videosTable: ITable;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    const isProd = config.stage === 'prod';
    const removalPolicy = isProd ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    const accessLogs = new Bucket(this, 'AccessLogsBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
      removalPolicy,
      autoDeleteObjects: !isProd,
    });

    const mediaBucket = new Bucket(this, 'MediaBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'media/',
      // The local S3's rules (infra/shared/resources.ts), with the deployment's origins instead of "*".
      cors: MEDIA_BUCKET_CORS_RULES.map((rule) => ({
        allowedOrigins: config.allowedOrigins,
        allowedMethods: rule.allowedMethods.map((method) => HttpMethods[method]),
        allowedHeaders: [...rule.allowedHeaders],
        exposedHeaders: [...rule.exposedHeaders],
        maxAge: rule.maxAgeSeconds,
      })),
      lifecycleRules: mediaLifecycleRules(config),
      removalPolicy,
      autoDeleteObjects: !isProd,
    });

    // "Object Created" events on the default bus start the workflow, multipart completions included (an
    // s3:ObjectCreated:Put notification would miss those). Set on the bucket resource itself: the
    // `eventBridgeEnabled` prop would deploy a custom-resource Lambda just to make this one API call.
    (mediaBucket.node.defaultChild as CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };

    const { partitionKey, globalSecondaryIndexes, billingMode, projection } = VIDEOS_TABLE_DEFINITION;
    const videosTable = new Table(this, 'VideosTable', {
      partitionKey: { name: partitionKey.name, type: AttributeType.STRING },
      billingMode: BillingMode[billingMode],
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: isProd,
      removalPolicy,
    });
    for (const index of globalSecondaryIndexes) {
      videosTable.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey.name, type: AttributeType.STRING },
        sortKey: { name: index.sortKey.name, type: AttributeType.STRING },
        projectionType: ProjectionType[projection],
      });
    }

    this.mediaBucket = mediaBucket;
    this.videosTable = videosTable;
    new CfnOutput(this, 'MediaBucketName', { value: mediaBucket.bucketName });
    new CfnOutput(this, 'VideosTableName', { value: videosTable.tableName });
  }
}

function mediaLifecycleRules(config: DeployConfig): LifecycleRule[] {
  const rules: LifecycleRule[] = [
    // Abandoned browser uploads would otherwise keep their parts (and their cost) forever, invisibly.
    { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
    // Working files of the pipeline; a run deletes its own, this catches runs that died.
    { id: 'expire-temp', prefix: TEMP_PREFIX, expiration: Duration.days(1) },
  ];
  if (config.videosGlacierTransitionDays !== undefined) {
    rules.push({
      id: 'videos-to-glacier-instant-retrieval',
      prefix: VIDEOS_PREFIX,
      // Instant Retrieval, not Flexible: playback URLs must keep working without a restore.
      transitions: [
        { storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(config.videosGlacierTransitionDays) },
      ],
    });
  }
  return rules;
}
