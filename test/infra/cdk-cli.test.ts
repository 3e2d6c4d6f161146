import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/shared/repository.ts';

const run = promisify(execFile);

/**
 * `npx cdk synth` as an operator runs it, with the pinned CLI, on a machine with no AWS account, no network
 * and no Docker: Docker is pointed at a path that does not exist, so any attempt to use it fails the run.
 * This is also the one place the functions are really bundled; the bundles are checked below.
 */
const outdir = mkdtempSync(join(tmpdir(), 'vidp-cdk-cli-'));
let synth: { exitCode: number; output: string; seconds: number };

beforeAll(async () => {
  const startedAt = performance.now();
  try {
    const { stdout, stderr } = await run('npx', ['cdk', 'synth', '--no-notices', '-q', '--output', outdir], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        CDK_DISABLE_CLI_TELEMETRY: 'true',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_REGION: 'us-east-1',
        CDK_DOCKER: join(outdir, 'no-docker-here'),
      },
      timeout: 110_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    synth = { exitCode: 0, output: stdout + stderr, seconds: 0 };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    synth = { exitCode: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}`, seconds: 0 };
  }
  synth.seconds = Math.round((performance.now() - startedAt) / 100) / 10;
}, 120_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

interface TemplateJson {
  Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
}
const template = (stack: string) => JSON.parse(readFileSync(join(outdir, `${stack}.template.json`), 'utf8')) as TemplateJson;
/** The staged bundle of functions/{group}/{name}.ts, from the function's asset metadata. */
const bundleOf = (functionPrefix: string) => {
  const [fn] = Object.entries(template('vidp-dev-stateless').Resources).filter(
    ([id, resource]) => resource.Type === 'AWS::Lambda::Function' && new RegExp(`^${functionPrefix}[0-9A-F]{8}$`).test(id),
  );
  return join(outdir, fn![1].Metadata!['aws:asset:path']!, 'index.mjs');
};

describe('npx cdk synth', () => {
  it('succeeds offline, without Docker, and writes both templates', () => {
    expect(synth.exitCode, synth.output).toBe(0);
    expect(existsSync(join(outdir, 'vidp-dev-stateful.template.json'))).toBe(true);
    expect(existsSync(join(outdir, 'vidp-dev-stateless.template.json'))).toBe(true);
    console.info(`npx cdk synth took ${synth.seconds} s`);
  });

  it('bundles the functions with their error class names intact (the ASL retries SubtitlesNotReadyError by name)', () => {
    const bundle = readFileSync(bundleOf('PrepareSubtitlesFunction'), 'utf8');
    expect(bundle).toContain('"SubtitlesNotReadyError"');
    expect(bundle).toContain('"SubtitlesInvalidError"');
  });

  it('produces bundles that load and answer as Lambda would run them', async () => {
    const script = `
      const { handler } = await import(${JSON.stringify(bundleOf('OpenapiFunction'))});
      const event = { httpMethod: 'GET', path: '/openapi.json', resource: '/openapi.json', headers: {}, multiValueHeaders: {},
        requestContext: { requestId: 'smoke' }, pathParameters: null, queryStringParameters: null,
        multiValueQueryStringParameters: null, body: null, isBase64Encoded: false };
      const response = await handler(event, { awsRequestId: 'smoke' });
      process.stdout.write(JSON.stringify({ statusCode: response.statusCode, openapi: JSON.parse(response.body).openapi }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, MEDIA_BUCKET: 'smoke-media', VIDEOS_TABLE: 'smoke-videos', AWS_REGION: 'us-east-1' },
    });

    expect(JSON.parse(stdout)).toEqual({ statusCode: 200, openapi: expect.stringMatching(/^3\.1/) });
  });
});
