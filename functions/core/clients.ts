import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ECSClient } from '@aws-sdk/client-ecs';
import { isRunningInLambda } from '@aws-lambda-powertools/commons/utils/env';
import type { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * One client per AWS service, created at module load and shared by every invocation of a warm Lambda.
 * Region, credentials and endpoints come from the environment (AWS_ENDPOINT_URL_S3 etc. locally).
 *
 * Checksums only when an operation requires them: the SDK's default adds a CRC32 of the *empty* body to
 * presigned PUT URLs (real S3 then rejects every upload) and aws-chunked streaming that the local S3
 * stores verbatim inside the object.
 */

/**
 * X-Ray subsegments for every AWS call, in Lambda only (the functions run with active tracing), unless
 * POWERTOOLS_TRACE_ENABLED=false. Loaded only then: the X-Ray SDK installs a process-wide async hook as
 * soon as it is imported, which the worker (on Fargate, where AWS_EXECUTION_ENV is set too, so the Tracer
 * would switch itself on), the local cloud and the tests have no use for; and nothing outside Lambda may
 * try to reach an X-Ray daemon.
 */
export const tracer: Tracer | undefined =
  isRunningInLambda() && process.env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() !== 'false'
    ? new (await import('@aws-lambda-powertools/tracer')).Tracer()
    : undefined;

/** The client, reporting its calls to X-Ray when `tracer` is on. */
export function traced<Client extends object>(client: Client): Client {
  return tracer === undefined ? client : tracer.captureAWSv3Client(client);
}

export const s3 = traced(
  new S3Client({
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  }),
);

/** The low-level client, for table-level calls (DescribeTable); items go through `dynamodb`, which shares its middleware. */
export const dynamodbTables = traced(new DynamoDBClient({}));

export const dynamodb = DynamoDBDocumentClient.from(dynamodbTables, {
  marshallOptions: { removeUndefinedValues: true },
});

export const sfn = traced(new SFNClient({}));

/** StopTask for DELETE of a video being encoded. */
export const ecs = traced(new ECSClient({}));
