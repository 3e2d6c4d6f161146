import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownTaskArn } from '../../containers/ffmpeg/src/task-metadata.ts';

let endpoint: string;
const server = createServer((request, response) => {
  if (request.url === '/v4/good/task') return void response.end(JSON.stringify({ TaskARN: 'arn:aws:ecs:us-east-1:1:task/c/abc', Cluster: 'c' }));
  if (request.url === '/v4/slow/task') return void setTimeout(() => response.end('{}'), 1_000);
  response.writeHead(404).end();
});
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('ownTaskArn', () => {
  it('reads the task ARN from the task metadata endpoint v4', async () => {
    expect(await ownTaskArn(`${endpoint}/v4/good`)).toBe('arn:aws:ecs:us-east-1:1:task/c/abc');
  });

  it.each([
    ['no endpoint (a worker run by hand)', undefined],
    ['an endpoint that does not know the task', 'missing'],
  ])('knows none with %s, and the job goes on', async (_what, path) => {
    expect(await ownTaskArn(path === undefined ? undefined : `${endpoint}/v4/${path}`)).toBeUndefined();
  });

  it('gives up on an endpoint that does not answer in time', async () => {
    expect(await ownTaskArn(`${endpoint}/v4/slow`, 100)).toBeUndefined();
  });
});
