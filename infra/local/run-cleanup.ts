/**
 * `npm run cleanup`: the scheduled cleanup, now, printing what it removed.
 *
 * With MEDIA_BUCKET and VIDEOS_TABLE in the environment it runs against those (AWS, with your credentials).
 * Otherwise against the local cloud of `npm start` at http://127.0.0.1:$PORT (default 3000), whose endpoints
 * it reads from /_local/info. Same function either way: functions/maintenance/cleanup.ts.
 */
import './polyfills.ts';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { applyToProcessEnv, localAwsEnvironment } from './aws-environment.ts';
import { repoPath } from '../shared/repository.ts';
import { createLambdaContext } from './lambda/context.ts';
import { CLEANUP_FUNCTION_MODULE } from './local-resources.ts';
import { scheduledEvent } from './events/scheduler.ts';

interface LocalInfo {
  s3Endpoint: string;
  dynamodbEndpoint: string;
  bucket: string;
  table: string;
}

async function localCloudInfo(gatewayUrl: string): Promise<LocalInfo | undefined> {
  try {
    const response = await fetch(`${gatewayUrl}/_local/info`, { signal: AbortSignal.timeout(2000) });
    return response.ok ? ((await response.json()) as LocalInfo) : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  if (!process.env.MEDIA_BUCKET || !process.env.VIDEOS_TABLE) {
    const gatewayUrl = `http://127.0.0.1:${process.env.PORT ?? 3000}`;
    const info = await localCloudInfo(gatewayUrl);
    if (info === undefined) {
      process.stderr.write(
        `No local cloud answers at ${gatewayUrl} (start it with \`npm start\`), and MEDIA_BUCKET / VIDEOS_TABLE are not set.\n`,
      );
      return 1;
    }
    applyToProcessEnv(localAwsEnvironment({ s3: info.s3Endpoint, dynamodb: info.dynamodbEndpoint, bucket: info.bucket, table: info.table }));
    process.stderr.write(`Cleaning up the local cloud at ${gatewayUrl} (bucket ${info.bucket}, table ${info.table})\n`);
  }
  // The function's JSON logs would repeat the report printed below.
  process.env.LOG_LEVEL ??= 'warn';
  const { handler } = (await import(pathToFileURL(repoPath(CLEANUP_FUNCTION_MODULE)).href)) as {
    handler: (event: unknown, context: unknown) => Promise<unknown>;
  };
  const requestId = randomUUID();
  const report = await handler(
    scheduledEvent('vidp-cleanup-on-demand'),
    createLambdaContext({ functionName: 'vidp-cleanup', requestId, timeoutMs: 900_000 }),
  );
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`cleanup failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
