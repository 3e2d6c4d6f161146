import type { Cluster } from 'aws-cdk-lib/aws-ecs';
import { Duration } from 'aws-cdk-lib';
import { PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { TEMP_PREFIX, UPLOADS_PREFIX, VIDEOS_PREFIX } from '../../functions/core/keys.ts';
import { acknowledgeWildcardResource } from './nag.ts';
import { VIDEO_INDEXES } from '../../functions/core/video-repository.ts';

/**
 * What each Lambda may do, read off its handler's code: the calls it makes, on the keys it makes them.
 * Written out action by action (no grantReadWrite): each list is the whole of what that code does, and a
 * reviewer can hold it against the code.
 *
 * A handler missing here fails synthesis: a function deployed without its grants would only fail at its
 * first request, with AccessDenied.
 */
type KeyPrefix = typeof UPLOADS_PREFIX | typeof TEMP_PREFIX | typeof VIDEOS_PREFIX;
type ItemAction = 'dynamodb:GetItem' | 'dynamodb:PutItem' | 'dynamodb:UpdateItem' | 'dynamodb:DeleteItem';
type ObjectAction =
  | 's3:GetObject'
  | 's3:PutObject'
  | 's3:DeleteObject'
  | 's3:AbortMultipartUpload'
  | 's3:ListMultipartUploadParts';

export interface FunctionGrants {
  /** Item calls on the videos table. */
  items?: ItemAction[];
  /** Queries of the table's indexes (VIDEO_INDEXES keys). */
  queries?: (keyof typeof VIDEO_INDEXES)[];
  /** dynamodb:DescribeTable: the health check's probe. */
  describeTable?: true;
  /**
   * Object calls, by key prefix. A presigned URL counts: S3 checks the signer's permission when the URL
   * is used. (CreateMultipartUpload, UploadPart and CompleteMultipartUpload are all s3:PutObject.)
   */
  objects?: { prefix: KeyPrefix; actions: ObjectAction[] }[];
  /**
   * s3:ListBucket on the media bucket: `everywhere` for HeadBucket, and for code that must tell a missing
   * key (404 NoSuchKey, which S3 only reveals to callers allowed to list) from a refusal (403); a list of
   * prefixes for ListObjectsV2 confined to them.
   */
  listBucket?: 'everywhere' | KeyPrefix[];
  /** s3:ListBucketMultipartUploads on the media bucket. */
  listMultipartUploads?: true;
  /** states:StopExecution on the pipeline's executions. */
  stopExecutions?: true;
  /** states:DescribeExecution on the pipeline's executions: is a `processing` video's run still going? */
  describeExecutions?: true;
  /** ecs:StopTask on the transcode cluster's tasks: DELETE stops the encode of the video it removes. */
  stopTasks?: true;
}

export interface FunctionSpec {
  grants: FunctionGrants;
  /** Default 10 s (API Gateway gives up at 29 s anyway). */
  timeout?: Duration;
  /** The handler reads the cursor key from the secret named by CURSOR_SECRET_ARN (functions/core/config.ts CursorConfigSchema). */
  cursorSecret?: true;
  /** The handler fetches subtitle URLs and parses SUBTITLE_ALLOWED_HOSTS (SubtitleFetchConfigSchema). */
  subtitleFetch?: true;
}

/** functions/api/{handler}.ts, by the `handler` name in API_ROUTES. */
export const API_FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  // Looks up a client_token's earlier video, creates the record (conditional put), starts a multipart
  // upload for big files or presigns POSTs for the source and the subtitles.
  'create-upload': {
    grants: { items: ['dynamodb:GetItem', 'dynamodb:PutItem'], objects: [{ prefix: UPLOADS_PREFIX, actions: ['s3:PutObject'] }] },
  },
  // Queries one of the three indexes, newest first; signs and checks page cursors.
  'list-videos': { grants: { queries: ['byStatus', 'bySourceVideoId', 'byFilename'] }, cursorSecret: true },
  // Reads the record; once saved, presigns the playback GET.
  'get-video': { grants: { items: ['dynamodb:GetItem'], objects: [{ prefix: VIDEOS_PREFIX, actions: ['s3:GetObject'] }] } },
  'get-playback': { grants: { items: ['dynamodb:GetItem'], objects: [{ prefix: VIDEOS_PREFIX, actions: ['s3:GetObject'] }] } },
  // Conditional update of the client-owned fields.
  'update-video': { grants: { items: ['dynamodb:UpdateItem'] } },
  // Stops a running execution, aborts an unfinished multipart upload, lists and deletes the video's
  // objects under its three prefixes, deletes the record.
  'delete-video': {
    grants: {
      items: ['dynamodb:GetItem', 'dynamodb:DeleteItem'],
      stopExecutions: true,
      stopTasks: true,
      listBucket: [UPLOADS_PREFIX, TEMP_PREFIX, VIDEOS_PREFIX],
      objects: [
        { prefix: UPLOADS_PREFIX, actions: ['s3:DeleteObject', 's3:AbortMultipartUpload'] },
        { prefix: TEMP_PREFIX, actions: ['s3:DeleteObject'] },
        { prefix: VIDEOS_PREFIX, actions: ['s3:DeleteObject'] },
      ],
    },
    timeout: Duration.seconds(29),
  },
  // Multipart uploads (functions/core/multipart-upload.ts): ListParts, presigned UploadPart,
  // CompleteMultipartUpload, AbortMultipartUpload (+ markFailed).
  'get-upload': {
    grants: { items: ['dynamodb:GetItem'], objects: [{ prefix: UPLOADS_PREFIX, actions: ['s3:ListMultipartUploadParts'] }] },
  },
  'presign-upload-parts': {
    grants: { items: ['dynamodb:GetItem'], objects: [{ prefix: UPLOADS_PREFIX, actions: ['s3:PutObject'] }] },
  },
  'complete-upload': {
    grants: {
      items: ['dynamodb:GetItem'],
      objects: [{ prefix: UPLOADS_PREFIX, actions: ['s3:ListMultipartUploadParts', 's3:PutObject'] }],
    },
    // S3 may take a while to assemble thousands of parts.
    timeout: Duration.seconds(29),
  },
  'abort-upload': {
    grants: {
      items: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      objects: [{ prefix: UPLOADS_PREFIX, actions: ['s3:AbortMultipartUpload'] }],
    },
  },
  // A failed video again: checks the kept source is there (HeadObject: a missing one must read as 404),
  // reopens the record (conditional update; put back on failure), copies the source onto itself so its
  // "Object Created" event starts the pipeline again (CopyObject = GetObject + PutObject).
  'retry-video': {
    grants: {
      items: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      objects: [{ prefix: UPLOADS_PREFIX, actions: ['s3:GetObject', 's3:PutObject'] }],
      listBucket: 'everywhere',
    },
  },
  // HeadBucket (s3:ListBucket) and DescribeTable, each with a short timeout.
  health: { grants: { listBucket: 'everywhere', describeTable: true } },
  // Serves a document built from the code: no AWS calls.
  openapi: { grants: {} },
};

/** functions/pipeline/{name}.ts, by file name; the ASL invokes each as `${PascalNameFunctionArn}`. */
export const PIPELINE_FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  // Reads the record and the uploaded subtitles (a file not there yet must read as NoSuchKey: the workflow
  // retries SubtitlesNotReadyError), writes the normalised SRT to temp/, appends warnings to the record.
  // Subtitles given as a URL are fetched over the internet (the function is not in a VPC).
  'prepare-subtitles': {
    grants: {
      items: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      objects: [
        { prefix: UPLOADS_PREFIX, actions: ['s3:GetObject'] },
        { prefix: TEMP_PREFIX, actions: ['s3:PutObject'] },
      ],
      listBucket: 'everywhere',
    },
    timeout: Duration.seconds(30),
    subtitleFetch: true,
  },
  // One conditional update: status failed + error.
  'mark-failed': { grants: { items: ['dynamodb:UpdateItem'] } },
};

/** functions/maintenance/{name}.ts, by file name. */
export const MAINTENANCE_FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  // functions/core/cleanup.ts: lists and deletes stale temp/ files and old sources of saved videos (after
  // reading their records), aborts stale multipart uploads (the browser's under uploads/, the worker's
  // under videos/), fails records whose upload never came (status index query + conditional update), and
  // reconciles `processing` records (functions/core/reconcile.ts): asks whether their execution still
  // runs, fails them if not, and deletes their temp/ files and partial output under videos/.
  cleanup: {
    grants: {
      items: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      queries: ['byStatus'],
      listBucket: [TEMP_PREFIX, UPLOADS_PREFIX, VIDEOS_PREFIX],
      listMultipartUploads: true,
      objects: [
        { prefix: TEMP_PREFIX, actions: ['s3:DeleteObject'] },
        { prefix: UPLOADS_PREFIX, actions: ['s3:DeleteObject', 's3:AbortMultipartUpload'] },
        { prefix: VIDEOS_PREFIX, actions: ['s3:DeleteObject', 's3:AbortMultipartUpload'] },
      ],
      describeExecutions: true,
    },
    timeout: Duration.minutes(5),
  },
  // Step Functions' status events of executions that ended TIMED_OUT / ABORTED / FAILED: reads the video's
  // record, fails it conditionally, deletes its temp/ files and partial output under videos/.
  'reconcile-execution': {
    grants: {
      items: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      listBucket: [TEMP_PREFIX, VIDEOS_PREFIX],
      objects: [
        { prefix: TEMP_PREFIX, actions: ['s3:DeleteObject'] },
        { prefix: VIDEOS_PREFIX, actions: ['s3:DeleteObject'] },
      ],
    },
    timeout: Duration.seconds(30),
  },
};

export function specFor(registry: Readonly<Record<string, FunctionSpec>>, file: string, name: string): FunctionSpec {
  const spec = registry[name];
  if (spec === undefined) {
    throw new Error(
      `${file} has no entry in infra/aws/function-specs.ts: read what its code calls and list exactly that, ` +
        'or the function would deploy without the permissions it needs.',
    );
  }
  return spec;
}

export interface GrantTargets {
  table: ITable;
  bucket: IBucket;
  /** `arn:…:execution:{state machine name}:*` */
  executionsArn: string;
  /** The transcode cluster, whose tasks a function may stop. */
  cluster: Cluster;
}

/** Adds the grants to the function's role (where cdk-nag reports, and so where findings are acknowledged). */
export function applyGrants(role: IRole, grants: FunctionGrants, targets: GrantTargets): void {
  const { table, bucket } = targets;
  const allow = (statement: PolicyStatement) => role.addToPrincipalPolicy(statement);
  if (grants.items?.length) allow(new PolicyStatement({ actions: grants.items, resources: [table.tableArn] }));
  if (grants.queries?.length) {
    allow(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: grants.queries.map((index) => `${table.tableArn}/index/${VIDEO_INDEXES[index]}`),
      }),
    );
  }
  if (grants.describeTable) allow(new PolicyStatement({ actions: ['dynamodb:DescribeTable'], resources: [table.tableArn] }));
  for (const { prefix, actions } of grants.objects ?? []) {
    const objects = bucket.arnForObjects(`${prefix}*`);
    allow(new PolicyStatement({ actions, resources: [objects] }));
    acknowledgeWildcardResource(role, objects, objectPrefixReason(prefix));
  }
  if (grants.listBucket === 'everywhere') {
    allow(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
  } else if (grants.listBucket?.length) {
    allow(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': grants.listBucket.map((prefix) => `${prefix}*`) } },
      }),
    );
  }
  if (grants.listMultipartUploads) {
    allow(new PolicyStatement({ actions: ['s3:ListBucketMultipartUploads'], resources: [bucket.bucketArn] }));
  }
  if (grants.stopTasks) {
    const tasks = targets.cluster.arnForTasks('*');
    allow(new PolicyStatement({ actions: ['ecs:StopTask'], resources: [tasks], conditions: { ArnEquals: { 'ecs:cluster': targets.cluster.clusterArn } } }));
    acknowledgeWildcardResource(role, tasks, 'The tasks of the vidp transcode cluster (and no other): their ids exist only once RunTask started them.');
  }
  const executionActions = [
    ...(grants.stopExecutions ? ['states:StopExecution'] : []),
    ...(grants.describeExecutions ? ['states:DescribeExecution'] : []),
  ];
  if (executionActions.length > 0) {
    allow(new PolicyStatement({ actions: executionActions, resources: [targets.executionsArn] }));
    acknowledgeWildcardResource(
      role,
      targets.executionsArn,
      'The executions of the vidp pipeline state machine (and no other): their names are generated per upload.',
    );
  }
}

/** Why an object grant ends in `*`: S3 keys carry the video id, which exists only at run time. */
export function objectPrefixReason(prefix: string): string {
  return (
    `Objects under ${prefix} only: keys are ${prefix}{videoId}/…, with ids minted at run time, ` +
    'so the prefix is the narrowest fixed scope.'
  );
}
