// First: aws-local-stepfunctions needs Promise.withResolvers, which Node 20 lacks.
import './polyfills.ts';
import { startLocalCloud } from './cloud.ts';
import { workerSettingsFrom } from './aws-environment.ts';
import { createConsoleLog } from './cloud-log.ts';
import { LOCAL_ADMIN_CREDENTIALS } from './local-resources.ts';

/** `npm start`: the local cloud in the foreground until Ctrl-C. */
const logger = createConsoleLog();
const cloud = await startLocalCloud({
  logger,
  // The worker's settings (the task definition's environment on AWS) from this shell: PARALLEL_MIN_SECONDS, FONTS_DIR, …
  workerEnv: workerSettingsFrom(process.env),
  // Optional: keep uploads and records across restarts.
  ...(process.env.VIDP_DATA_DIR ? { dataDir: process.env.VIDP_DATA_DIR } : {}),
}).catch((error: NodeJS.ErrnoException) => {
  if (error.code !== 'EADDRINUSE') throw error;
  logger(`port ${process.env.PORT ?? 3000} is in use: stop what runs there, or start with PORT=<another port> (0 = any free one)`);
  process.exit(1);
});

process.stdout.write(
  [
    '',
    'vidp local cloud is running',
    `  Web page     ${cloud.gatewayUrl}/  (open it in a browser: upload, watch, play)`,
    `  API          ${cloud.apiUrl}`,
    `  S3           ${cloud.s3Endpoint}  (bucket ${cloud.bucket})`,
    `  DynamoDB     ${cloud.dynamodbEndpoint}  (table ${cloud.table})`,
    `  Executions   ${cloud.gatewayUrl}/_local/executions`,
    `  IAM          every call authorized against the CDK app's policies, as its own role`,
    `  Admin key    AWS_ACCESS_KEY_ID=${LOCAL_ADMIN_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${LOCAL_ADMIN_CREDENTIALS.secretAccessKey}`,
    '               (your own credentials, locally: S3 and DynamoDB let it do anything)',
    '',
    'Try it: `npm run demo` in another terminal. Ctrl-C stops everything.',
    '',
  ].join('\n'),
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(130); // a second Ctrl-C: do not wait
    stopping = true;
    logger('stopping…');
    cloud.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger(`could not stop cleanly: ${String(error)}`);
        process.exit(1);
      },
    );
  });
}
