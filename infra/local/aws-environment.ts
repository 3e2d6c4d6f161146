import { randomBytes } from 'node:crypto';
import { WorkerTaskEnvironmentSchema } from '../../containers/ffmpeg/src/config.ts';
import type { ConfigSchema, CursorConfigSchema } from '../../functions/core/config.ts';
import type { EnvironmentOf } from '../../functions/core/environment-contract.ts';
import { PACKAGE_VERSION } from '../shared/repository.ts';
import { LOCAL_REGION } from './local-resources.ts';

export interface LocalEndpoints {
  s3: string;
  dynamodb: string;
  bucket: string;
  table: string;
}

/**
 * What AWS itself gives every Lambda function and Fargate task, pointed at the local stand-ins: region and
 * per-service endpoints (default-constructed AWS SDK clients read all of it). The credentials are each
 * principal's own (iam/credentials.ts: credentialsEnvironment), added per function and per task.
 */
export function localPlatformEnvironment(endpoints: Pick<LocalEndpoints, 's3' | 'dynamodb'> & { stepFunctions?: string }): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    ...(endpoints.stepFunctions === undefined ? {} : { AWS_ENDPOINT_URL_SFN: endpoints.stepFunctions }),
    // s3rver stores aws-chunked framing inside the object when the SDK streams with checksums (PLATFORM-NOTES).
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    // Never wait on the EC2 metadata endpoint for credentials or region that the environment already gives.
    AWS_EC2_METADATA_DISABLED: 'true',
    // Local Node is 20 (infra/local/polyfills.ts); the SDK's notice about it is noise in every task log.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** What the CDK stack sets on the Lambda functions, for the local resources (typed by what they parse). */
export function localFunctionEnvironment(
  endpoints: Pick<LocalEndpoints, 'bucket' | 'table'>,
): EnvironmentOf<typeof ConfigSchema> & EnvironmentOf<typeof CursorConfigSchema> {
  return {
    MEDIA_BUCKET: endpoints.bucket,
    VIDEOS_TABLE: endpoints.table,
    VIDP_VERSION: PACKAGE_VERSION,
    // A fresh key per start: list cursors from an earlier run are refused, as after a key rotation on AWS.
    CURSOR_SECRET: randomBytes(32).toString('hex'),
  };
}

/** What the task definition sets on the worker's container, for the local resources. */
export function localWorkerTaskEnvironment(endpoints: Pick<LocalEndpoints, 'bucket' | 'table'>): EnvironmentOf<typeof WorkerTaskEnvironmentSchema> {
  return { MEDIA_BUCKET: endpoints.bucket, VIDEOS_TABLE: endpoints.table };
}

/** Both, as one environment: what every Lambda function's sandbox starts from (credentials aside). */
export function localAwsEnvironment(endpoints: LocalEndpoints): Record<string, string> {
  return { ...localPlatformEnvironment(endpoints), ...definedOnly(localFunctionEnvironment(endpoints)) };
}

function definedOnly(environment: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(environment).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** Of the local cloud's own environment, the named variables that are set (a process or a sandbox still needs some). */
export function hostVariables(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]!]])));
}

/** Set by the platform or per resource (localWorkerTaskEnvironment): not the operator's to choose. */
const NOT_WORKER_SETTINGS = new Set(['MEDIA_BUCKET', 'VIDEOS_TABLE', 'ECS_CONTAINER_METADATA_URI_V4']);

/**
 * The worker settings the local cloud's own environment gives (`PARALLEL_MIN_SECONDS=60 npm start`): what an
 * operator sets on the task definition on AWS, here read from the shell that starts the cloud.
 */
export function workerSettingsFrom(environment: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.keys(WorkerTaskEnvironmentSchema.shape).flatMap((name) =>
      NOT_WORKER_SETTINGS.has(name) || environment[name] === undefined ? [] : [[name, environment[name]!]],
    ),
  );
}
