import { afterEach, describe, expect, it, vi } from 'vitest';

/**
 * X-Ray tracing of the AWS clients: on in Lambda (where the functions run with active tracing), and nowhere
 * else — not in the tests, not in the local cloud, not in the worker — so nothing tries to reach a daemon.
 */
async function loadClients(env: Record<string, string | undefined>) {
  vi.resetModules();
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  return import('../../functions/core/clients.ts');
}
const xrayMiddleware = (client: { middlewareStack: { identify(): string[] } }) =>
  client.middlewareStack.identify().filter((name) => name.startsWith('XRaySDK'));

const lambda = {
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  // The X-Ray SDK would otherwise patch node:http for the rest of this test process.
  POWERTOOLS_TRACER_CAPTURE_HTTPS_REQUESTS: 'false',
};

afterEach(() => vi.unstubAllEnvs());

describe('the AWS clients', () => {
  it('are not traced outside Lambda, even where AWS_EXECUTION_ENV is set (the worker on Fargate)', async () => {
    const clients = await loadClients({ AWS_LAMBDA_INITIALIZATION_TYPE: undefined, AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE' });
    expect(clients.tracer).toBeUndefined();
    expect(xrayMiddleware(clients.s3)).toEqual([]);
  });

  it('report every call to X-Ray in Lambda', async () => {
    const clients = await loadClients(lambda);
    expect(clients.tracer?.isTracingEnabled()).toBe(true);
    for (const client of [clients.s3, clients.dynamodbTables, clients.dynamodb, clients.sfn, clients.ecs]) {
      expect(xrayMiddleware(client)).toHaveLength(1);
    }
  });

  it('are not traced in Lambda when POWERTOOLS_TRACE_ENABLED=false', async () => {
    const clients = await loadClients({ ...lambda, POWERTOOLS_TRACE_ENABLED: 'false' });
    expect(clients.tracer).toBeUndefined();
    expect(xrayMiddleware(clients.s3)).toEqual([]);
  });
});
