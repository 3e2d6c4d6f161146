import { S3Client } from '@aws-sdk/client-s3';
import type { LocalCloud } from '../../infra/local/cloud.ts';
import { LOCAL_ADMIN_CREDENTIALS, LOCAL_REGION } from '../../infra/local/local-resources.ts';

/** An S3 client with the local cloud's admin key: what a test reads the bucket with, outside any role. */
export function localAdminS3(cloud: Pick<LocalCloud, 's3Endpoint'>): S3Client {
  return new S3Client({
    region: LOCAL_REGION,
    credentials: LOCAL_ADMIN_CREDENTIALS,
    endpoint: cloud.s3Endpoint,
    forcePathStyle: true,
    // s3rver sends no checksums: without this the SDK would fail on their absence (PLATFORM-NOTES).
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
