import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';

export interface HealthDeps {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  bucket: string;
  table: string;
  version: string;
  timeoutMs?: number;
}

type Reachability = 'ok' | 'unreachable';

/** Whether the API's two dependencies answer, each within a short timeout, checked side by side. */
export async function checkHealth(deps: HealthDeps) {
  const timeoutMs = deps.timeoutMs ?? 2000;
  const probe = async (call: (signal: AbortSignal) => Promise<unknown>): Promise<Reachability> => {
    try {
      await call(AbortSignal.timeout(timeoutMs));
      return 'ok';
    } catch {
      return 'unreachable';
    }
  };
  const [s3, dynamodb] = await Promise.all([
    probe((abortSignal) => deps.s3.send(new HeadBucketCommand({ Bucket: deps.bucket }), { abortSignal })),
    probe((abortSignal) => deps.dynamodb.send(new DescribeTableCommand({ TableName: deps.table }), { abortSignal })),
  ]);
  return { status: s3 === 'ok' && dynamodb === 'ok' ? ('ok' as const) : ('unavailable' as const), version: deps.version, s3, dynamodb };
}
