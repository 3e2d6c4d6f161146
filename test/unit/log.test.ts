import '../support/handler-env.ts';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dynamodb } from '../../functions/core/clients.ts';
import { apiEvent, lambdaContext } from '../support/api-event.ts';

// The shared handler logger takes its level when it is created: loaded after LOG_LEVEL says info (every other
// test file keeps handler-env's silent).
process.env.LOG_LEVEL = 'info';
const { createLogger, log } = await import('../../functions/core/log.ts');
const { handler: getVideo } = await import('../../functions/api/get-video.ts');
const { handler: markFailed } = await import('../../functions/pipeline/mark-failed.ts');
afterAll(() => {
  process.env.LOG_LEVEL = 'silent';
});

const signedUrl =
  'https://media.s3.eu-west-1.amazonaws.com/uploads/v/source.mp4?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
  '&X-Amz-Credential=ASIAEXAMPLE%2F20260301%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20260301T000000Z' +
  '&X-Amz-Expires=3600&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE&X-Amz-Signature=0123456789abcdef';
const secrets = ['ASIAEXAMPLE', 'IQoJb3JpZ2luX2VjEXAMPLE', '0123456789abcdef'];

function capture() {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger({ videoId: 'video-1' }, (line) => lines.push(JSON.parse(line) as Record<string, unknown>)) };
}

/** What the shared handler logger prints (JSON on stdout, warnings and errors on stderr). */
function captureHandlerLog() {
  const lines: string[] = [];
  const keep = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  return () => lines.flatMap((chunk) => chunk.split('\n')).filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeEach(() => {
  process.env.LOG_LEVEL = 'info';
});
afterEach(() => {
  vi.restoreAllMocks();
  delete process.env.LOG_FORMAT;
});

describe('log lines', () => {
  it('carry the fields the logger was bound to, under Powertools\' keys', () => {
    const { lines, logger } = capture();
    logger.info('job started', { crf: 23 });
    expect(lines).toEqual([expect.objectContaining({ level: 'INFO', message: 'job started', service: 'vidp', videoId: 'video-1', crf: 23 })]);
    expect(lines[0]).toHaveProperty('timestamp');
  });

  it('keep no signature of a presigned URL in the message, in nested fields, or in an error\'s message and stack', () => {
    const { lines, logger } = capture();
    logger.error(`could not open ${signedUrl}`, {
      job: { source: { urls: [signedUrl] } },
      error: new Error(`GET ${signedUrl} failed`, { cause: new Error(`redirected to ${signedUrl}`) }),
    });

    const line = JSON.stringify(lines);
    for (const secret of secrets) expect(line).not.toContain(secret);
    const redacted = 'https://media.s3.eu-west-1.amazonaws.com/uploads/v/source.mp4?<signature redacted>';
    expect(lines[0]).toMatchObject({
      message: `could not open ${redacted}`,
      job: { source: { urls: [redacted] } },
      error: {
        message: `GET ${redacted} failed`,
        stack: expect.stringContaining(`Error: GET ${redacted} failed`),
        cause: { message: `redirected to ${redacted}` },
      },
    });
  });

  it('keep no SigV4 value where it appears without its URL: presigned POST fields, a bare query string', () => {
    const { lines, logger } = capture();
    logger.info('upload presigned', {
      upload: { url: 'https://media.s3.amazonaws.com/', fields: { key: 'uploads/v/source.mp4', 'X-Amz-Signature': 'abc', 'x-amz-credential': 'AKIA/x' } },
      query: 'X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE&part=1',
    });
    expect(lines[0]).toMatchObject({
      upload: { fields: { key: 'uploads/v/source.mp4', 'X-Amz-Signature': '<redacted>', 'x-amz-credential': '<redacted>' } },
      query: 'X-Amz-Security-Token=<redacted>&part=1',
    });
  });

  it('keep no Step Functions task token, by field or inside text: whoever holds one can report the task', () => {
    const token = `AQCEAAAAKgAAAAMAAAAAAAAAA${'x7Kq9Zb2'.repeat(40)}`;
    const { lines, logger } = capture();
    logger.info('reporting', {
      taskToken: token,
      environment: [{ Name: 'TASK_TOKEN', Value: token }],
      TASK_TOKEN: token,
      cause: `Task Timed Out: 'Provided task does not exist anymore' for ${token}`,
    });
    expect(JSON.stringify(lines[0])).not.toContain(token.slice(0, 60));
    expect(lines[0]).toMatchObject({ taskToken: '<redacted>', TASK_TOKEN: '<redacted>' });
  });

  it('print nothing at LOG_LEVEL=silent', () => {
    process.env.LOG_LEVEL = 'silent';
    const { lines, logger } = capture();
    logger.error('not shown');
    expect(lines).toEqual([]);
  });

  it('read as one line of text in a terminal, still redacted', () => {
    process.env.LOG_FORMAT = 'text';
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);
    createLogger({ videoId: 'video-1' }).warn('progress write failed', { percent: 12.5, url: signedUrl });
    expect(written).toEqual([
      'WARN  progress write failed videoId=video-1 percent=12.5 url="https://media.s3.eu-west-1.amazonaws.com/uploads/v/source.mp4?<signature redacted>"\n',
    ]);
  });
});

const ddb = mockClient(dynamodb);
beforeEach(() => ddb.reset());

describe('log lines of an API handler', () => {
  it('carry API Gateway\'s request id as correlation id, Lambda\'s request id, and the video id', async () => {
    const lines = captureHandlerLog();
    const videoId = '5a0e7c1b-2f3d-4e5a-8b9c-0d1e2f3a4b5c';
    ddb.on(GetCommand).rejects(new Error('DynamoDB is down'));

    const result = await getVideo(apiEvent({ resource: '/videos/{id}', path: `/videos/${videoId}`, pathParameters: { id: videoId } }), lambdaContext);

    expect(result.statusCode).toBe(500);
    expect(lines()).toContainEqual(
      expect.objectContaining({ level: 'ERROR', message: 'request failed', correlation_id: 'req-123', function_request_id: 'lambda-req', videoId }),
    );
  });

  it('leave nothing of one request on the next', async () => {
    const lines = captureHandlerLog();
    ddb.on(GetCommand).rejects(new Error('DynamoDB is down'));
    const videoId = '5a0e7c1b-2f3d-4e5a-8b9c-0d1e2f3a4b5c';
    await getVideo(apiEvent({ pathParameters: { id: videoId } }), lambdaContext);

    log.info('between invocations');

    expect(lines().at(-1)).toMatchObject({ message: 'between invocations' });
    expect(lines().at(-1)).not.toHaveProperty('correlation_id');
    expect(lines().at(-1)).not.toHaveProperty('videoId');
  });
});

describe('log lines of a workflow task', () => {
  it('carry the video id and the id of the execution the ASL passes, with the function\'s name', async () => {
    const lines = captureHandlerLog();
    ddb.on(UpdateCommand).resolves({});
    const executionId = 'arn:aws:states:eu-west-1:123456789012:execution:vidp-dev-pipeline:abc';
    const context = { ...lambdaContext, functionName: 'vidp-dev-mark-failed' } as Context;

    await markFailed({ videoId: 'video-1', executionId, error: { Error: 'InputInvalidError', Cause: '{}' } }, context);

    expect(lines()).toContainEqual(
      expect.objectContaining({ message: 'video failed', videoId: 'video-1', executionId, function_name: 'vidp-dev-mark-failed' }),
    );
  });
});
