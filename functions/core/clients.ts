import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ECSClient } from '@aws-sdk/client-ecs';

/**
 * One client per AWS service, created at module load and shared by every invocation of a warm Lambda.
 * Region, credentials and endpoints come from the environment (AWS_ENDPOINT_URL_S3 etc. locally).
 *
 * Checksums only when an operation requires them: the SDK's default adds a CRC32 of the *empty* body to
 * presigned PUT URLs (real S3 then rejects every upload) and aws-chunked streaming that the local S3
 * stores verbatim inside the object.
 */
export const s3 = new S3Client({
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});

/** The low-level client, for table-level calls (DescribeTable); items go through `dynamodb`. */
export const dynamodbTables = new DynamoDBClient({});

export const dynamodb = DynamoDBDocumentClient.from(dynamodbTables, {
  marshallOptions: { removeUndefinedValues: true },
});

export const sfn = new SFNClient({});

/** StopTask for DELETE of a video being encoded. */
export const ecs = new ECSClient({});
