import '../support/handler-env.ts';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dynamodb } from '../../functions/core/clients.ts';
import { apiEvent, lambdaContext } from '../support/api-event.ts';
import { aVideoRecord } from '../support/video-record.ts';

// Metrics read POWERTOOLS_METRICS_DISABLED when they are created: the handlers load after it is turned back on.
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
const { handler: createUpload } = await import('../../functions/api/create-upload.ts');
const { handler: markFailed } = await import('../../functions/pipeline/mark-failed.ts');
const { createMetrics, METRIC_SERVICES, videoMetrics } = await import('../../functions/core/metrics.ts');
afterAll(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

interface Emf {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

/** The EMF lines Powertools Metrics prints on stdout. */
let emf: () => Emf[];
beforeEach(() => {
  const written: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);
  emf = () =>
    written
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.startsWith('{"_aws"'))
      .map((line) => JSON.parse(line) as Emf);
});
afterEach(() => vi.restoreAllMocks());

/** An EMF line in namespace vidp: dimensions and metrics declared under `_aws`, the values beside it. */
const emfLine = (dimensions: string[], units: Record<string, string>, values: Record<string, unknown>) => ({
  _aws: {
    Timestamp: expect.any(Number),
    CloudWatchMetrics: [{ Namespace: 'vidp', Dimensions: [dimensions], Metrics: Object.entries(units).map(([Name, Unit]) => ({ Name, Unit })) }],
  },
  ...values,
});

const ddb = mockClient(dynamodb);
beforeEach(() => ddb.reset());

describe('VideosCreated and UploadBytes (create-upload)', () => {
  const request = { filename: 'talk.mp4', content_type: 'video/mp4', size: 1_000_000, subtitles: { source: 'upload' } };
  const post = (json: unknown) => createUpload(apiEvent({ httpMethod: 'POST', json }), lambdaContext);

  it('prints one EMF line for a new video: one video created, its declared size uploaded', async () => {
    ddb.on(PutCommand).resolves({});

    expect((await post(request)).statusCode).toBe(201);

    expect(emf()).toEqual([
      {
        _aws: {
          Timestamp: expect.any(Number),
          CloudWatchMetrics: [
            {
              Namespace: 'vidp',
              Dimensions: [['service']],
              Metrics: [
                { Name: 'VideosCreated', Unit: 'Count' },
                { Name: 'UploadBytes', Unit: 'Bytes' },
              ],
            },
          ],
        },
        service: 'create-upload',
        VideosCreated: 1,
        UploadBytes: 1_000_000,
      },
    ]);
  });

  it('counts nothing again for a retry with the same client_token', async () => {
    const withToken = { ...request, client_token: 'order-1234-attempt' };
    ddb.on(GetCommand).resolves({ Item: aVideoRecord({ filename: 'talk.mp4', upload_size: 1_000_000, client_token: withToken.client_token, upload: { method: 'POST' } }) });

    expect((await post(withToken)).statusCode).toBe(201);

    expect(emf()).toEqual([]);
  });
});

describe('VideosFailed by error code (mark-failed)', () => {
  const failedWith = (Error: string, Cause: string) => markFailed({ videoId: 'video-1', executionId: 'arn:exec', error: { Error, Cause } });

  it('prints the failure with its code as a dimension', async () => {
    ddb.on(UpdateCommand).resolves({});

    await failedWith('InputInvalidError', JSON.stringify({ code: 'input_invalid', message: 'The uploaded video is damaged' }));

    expect(emf()).toEqual([
      emfLine(['service', 'code'], { VideosFailed: 'Count' }, { service: 'mark-failed', code: 'input_invalid', VideosFailed: 1 }),
    ]);
  });

  it('gives Step Functions\' own errors their code too', async () => {
    ddb.on(UpdateCommand).resolves({});
    await failedWith('States.HeartbeatTimeout', '');
    expect(emf()).toEqual([expect.objectContaining({ code: 'timeout', VideosFailed: 1 })]);
  });

  it('counts nothing when the record had already ended or another execution owns it', async () => {
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    await failedWith('InputInvalidError', JSON.stringify({ code: 'input_invalid', message: 'damaged' }));
    expect(emf()).toEqual([]);
  });
});

describe('VideosSaved and EncodeSecondsPerOutputMinute (the worker)', () => {
  it('prints the saved video with the seconds of encoding per minute of output', () => {
    videoMetrics(createMetrics(METRIC_SERVICES.worker)).saved({ encodeSeconds: 45, outputSeconds: 90 });

    expect(emf()).toEqual([
      emfLine(
        ['service'],
        { VideosSaved: 'Count', EncodeSecondsPerOutputMinute: 'Seconds' },
        { service: 'transcode-worker', VideosSaved: 1, EncodeSecondsPerOutputMinute: 30 },
      ),
    ]);
  });

  it('puts the namespace of the deployment on every line', () => {
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'vidp/vidp-prod';
    try {
      videoMetrics(createMetrics(METRIC_SERVICES.worker)).saved({ encodeSeconds: 1, outputSeconds: 0 });
    } finally {
      delete process.env.POWERTOOLS_METRICS_NAMESPACE;
    }
    expect(emf()).toEqual([expect.objectContaining({ _aws: expect.objectContaining({ CloudWatchMetrics: [expect.objectContaining({ Namespace: 'vidp/vidp-prod' })] }), VideosSaved: 1 })]);
    expect(emf()[0]).not.toHaveProperty('EncodeSecondsPerOutputMinute');
  });
});
