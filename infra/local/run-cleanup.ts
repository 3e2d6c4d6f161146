/**
 * `npm run cleanup`: the scheduled cleanup, now, printing what it removed.
 *
 * With MEDIA_BUCKET and VIDEOS_TABLE in the environment it runs here against those (AWS, with your
 * credentials). Otherwise it asks the local cloud of `npm start` at http://127.0.0.1:$PORT (default 3000) to
 * run its schedule now, as `aws lambda invoke` would: the cleanup function in its sandbox, under its own role.
 * Same function either way: functions/maintenance/cleanup.ts.
 */
import './polyfills.ts';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { repoPath } from '../shared/repository.ts';
import { createLambdaContext } from './lambda/context.ts';
import { CLEANUP_FUNCTION_MODULE } from './local-resources.ts';
import { scheduledEvent } from './events/scheduler.ts';

async function onTheLocalCloud(gatewayUrl: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${gatewayUrl}/_local/schedules/cleanup`, { method: 'POST', signal: AbortSignal.timeout(900_000) });
  } catch {
    throw new Error(`No local cloud answers at ${gatewayUrl} (start it with \`npm start\`), and MEDIA_BUCKET / VIDEOS_TABLE are not set.`);
  }
  if (!response.ok) throw new Error(`The local cloud's cleanup failed (${response.status}): ${await response.text()}`);
  return response.json();
}

async function onAws(): Promise<unknown> {
  // The function's JSON logs would repeat the report printed below.
  process.env.LOG_LEVEL ??= 'warn';
  const { handler } = (await import(pathToFileURL(repoPath(CLEANUP_FUNCTION_MODULE)).href)) as {
    handler: (event: unknown, context: unknown) => Promise<unknown>;
  };
  return handler(
    scheduledEvent('vidp-cleanup-on-demand'),
    createLambdaContext({ functionName: 'vidp-cleanup', requestId: randomUUID(), timeoutMs: 900_000 }),
  );
}

async function main(): Promise<number> {
  const local = !process.env.MEDIA_BUCKET || !process.env.VIDEOS_TABLE;
  const gatewayUrl = `http://127.0.0.1:${process.env.PORT ?? 3000}`;
  if (local) process.stderr.write(`Running the cleanup of the local cloud at ${gatewayUrl}\n`);
  const report = local ? await onTheLocalCloud(gatewayUrl) : await onAws();
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
