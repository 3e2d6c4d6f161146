import { randomBytes } from 'node:crypto';
import { PACKAGE_VERSION } from '../shared/repository.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-resources.ts';

export interface LocalEndpoints {
  s3: string;
  dynamodb: string;
  bucket: string;
  table: string;
}

/**
 * The environment a Lambda function or the worker container gets on AWS, pointed at the local stand-ins.
 * Default-constructed AWS SDK clients read all of it: region, credentials, per-service endpoints.
 */
export function localAwsEnvironment(endpoints: LocalEndpoints): Record<string, string> {
  return {
    MEDIA_BUCKET: endpoints.bucket,
    // A fresh key per start: list cursors from an earlier run are refused, as after a key rotation on AWS.
    CURSOR_SECRET: randomBytes(32).toString('hex'),
    VIDP_VERSION: PACKAGE_VERSION,
    VIDEOS_TABLE: endpoints.table,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    // s3rver stores aws-chunked framing inside the object when the SDK streams with checksums (PLATFORM-NOTES).
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    // Never wait on the EC2 metadata endpoint for credentials or region that the environment already gives.
    AWS_EC2_METADATA_DISABLED: 'true',
    // Local Node is 20 (infra/local/polyfills.ts); the SDK's notice about it is noise in every task log.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** Sets variables on process.env; returns a function that puts back what was there before. */
export function applyToProcessEnv(variables: Record<string, string>): () => void {
  const previous = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  Object.assign(process.env, variables);
  return () => {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
