import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLambdaContext } from '../../infra/local/lambda/context.ts';
import { createFunctionHost, type FunctionHost, type LocalFunction } from '../../infra/local/lambda/function-host.ts';
import { HandlerUnavailableError } from '../../infra/local/lambda/handler.ts';

const ECHO = 'test/support/lambda-fixtures/echo-environment.ts';
const BROKEN = 'test/support/lambda-fixtures/fails-at-init.ts';
let host: FunctionHost;
let bundleDir: string;

beforeAll(async () => {
  bundleDir = await mkdtemp(join(tmpdir(), 'vidp-function-host-'));
  host = createFunctionHost({
    bundleDir,
    logger: () => {},
    // Two functions of one module, each with its own configuration: as two Lambda functions of one bundle.
    functionFor: (modulePath): LocalFunction | undefined => {
      const arn = 'arn:aws:lambda:us-east-1:000000000000:function:fixture';
      if (modulePath === BROKEN) return { name: 'vidp-broken', arn, modulePath, environment: {} };
      if (!modulePath.startsWith(ECHO)) return undefined;
      const b = modulePath.endsWith('#b');
      return { name: b ? 'vidp-b' : 'vidp-a', arn, modulePath: ECHO, environment: { GREETING: b ? 'from b' : 'from a' } };
    },
  });
});
afterAll(async () => {
  await host?.stop();
  await rm(bundleDir, { recursive: true, force: true });
});

const context = (timeoutMs = 10_000) => createLambdaContext({ functionName: 'caller-side', requestId: 'r-1', timeoutMs });

describe('the local Lambda function host', () => {
  it('runs a function with the environment it was given, kept warm across invocations, and the time it has left', async () => {
    const handler = await host.loadHandler(ECHO);
    const first = (await handler({}, context(5_000))) as { greeting: string; invocations: number; remainingMs: number };
    const second = (await handler({}, context())) as { invocations: number };
    expect(first).toMatchObject({ greeting: 'from a', invocations: 1 });
    expect(first.remainingMs).toBeGreaterThan(3_000);
    expect(first.remainingMs).toBeLessThanOrEqual(5_000);
    expect(second.invocations).toBe(2);
  });

  it('never lets one function see another one\'s environment or module state', async () => {
    const [a, b] = await Promise.all([host.loadHandler(ECHO), host.loadHandler(`${ECHO}#b`)]);
    expect(await b({}, context())).toMatchObject({ greeting: 'from b', invocations: 1, functionName: 'vidp-b' });
    expect(await a({}, context())).toMatchObject({ greeting: 'from a', functionName: 'vidp-a' });
    expect(process.env.GREETING).toBeUndefined();
  });

  it('rejects with the error the handler threw, by its name (what Retry/Catch match) and code', async () => {
    const handler = await host.loadHandler(ECHO);
    await expect(handler({ fail: true }, context())).rejects.toMatchObject({
      name: 'SubtitlesNotReadyError',
      code: 'subtitles_missing',
      message: 'The subtitles have not arrived yet',
    });
  });

  it('reports a module that fails at cold start as unavailable, saying why', async () => {
    const load = host.loadHandler(BROKEN);
    await expect(load).rejects.toBeInstanceOf(HandlerUnavailableError);
    await expect(host.loadHandler(BROKEN)).rejects.toThrow(/fails-at-init\.ts failed to load: Invalid configuration: MEDIA_BUCKET/);
  });
});
