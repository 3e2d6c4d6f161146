/**
 * API figures: the create-upload and get-video functions' latency (p50/p99), each invoked in its local
 * sandbox against the local cloud's S3 and DynamoDB, and the local gateway's requests per second for
 * GET /api/videos/{id} with 50 concurrent clients. Loopback only, bounded in count and time.
 */
import { performance } from 'node:perf_hooks';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { apiEvent as event } from '../support/api-event.ts';
import type { LocalCloud } from '../../infra/local/cloud.ts';

const ITERATIONS = Number(process.env.BENCH_API_ITERATIONS ?? 500);
const CONCURRENCY = 50;
const LOAD_SECONDS = Number(process.env.BENCH_API_SECONDS ?? 5);


function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function latencies(times: number, call: () => Promise<APIGatewayProxyResult>, expectedStatus: number) {
  const samples: number[] = [];
  for (let index = 0; index < times; index += 1) {
    const startedAt = performance.now();
    const result = await call();
    samples.push(performance.now() - startedAt);
    if (result.statusCode !== expectedStatus) throw new Error(`answered ${result.statusCode}: ${result.body}`);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

export async function runApiBench(say: (line?: string) => void, cloud: LocalCloud): Promise<void> {
  const invoke = (modulePath: string, request: APIGatewayProxyEvent) =>
    cloud.invokeFunction(modulePath, request) as Promise<APIGatewayProxyResult>;
  const body = JSON.stringify({ filename: 'bench.mp4', content_type: 'video/mp4', size: 1_000_000, subtitles: { source: 'upload' } });
  const create = () =>
    invoke('functions/api/create-upload.ts', event({ httpMethod: 'POST', path: '/videos', headers: { 'Content-Type': 'application/json' }, body }));

  const first = JSON.parse((await create()).body) as { video: { id: string } };
  const id = first.video.id;
  const get = () => invoke('functions/api/get-video.ts', event({ path: `/videos/${id}`, pathParameters: { id } }));
  for (let warmUp = 0; warmUp < 20; warmUp += 1) await Promise.all([create(), get()]);

  const created = await latencies(ITERATIONS, create, 201);
  const fetched = await latencies(ITERATIONS, get, 200);
  say(`create-upload function, in its sandbox:  p50 ${created.p50.toFixed(2)} ms   p99 ${created.p99.toFixed(2)} ms  (${ITERATIONS} calls)`);
  say(`get-video function, in its sandbox:      p50 ${fetched.p50.toFixed(2)} ms   p99 ${fetched.p99.toFixed(2)} ms  (${ITERATIONS} calls)`);

  const url = `${cloud.apiUrl}/videos/${id}`;
  const deadline = performance.now() + LOAD_SECONDS * 1000;
  let completed = 0;
  let failed = 0;
  const client = async () => {
    while (performance.now() < deadline) {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === 200) completed += 1;
      else failed += 1;
    }
  };
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  const seconds = (performance.now() - startedAt) / 1000;
  say(`gateway GET /api/videos/{id}, ${CONCURRENCY} concurrent clients: ${(completed / seconds).toFixed(0)} requests/s` +
    ` (${completed} in ${seconds.toFixed(1)} s${failed ? `, ${failed} failed` : ''})`);
}
