import '../support/handler-env.ts';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, HeadBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { InvalidParameterException, StopTaskCommand } from '@aws-sdk/client-ecs';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler as deleteVideo } from '../../functions/api/delete-video.ts';
import { handler as getPlayback } from '../../functions/api/get-playback.ts';
import { handler as health } from '../../functions/api/health.ts';
import { handler as listVideos } from '../../functions/api/list-videos.ts';
import { handler as openapi } from '../../functions/api/openapi.ts';
import { API_ROUTES } from '../../functions/api/routes.ts';
import { handler as updateVideo } from '../../functions/api/update-video.ts';
import { dynamodb, dynamodbTables, ecs, s3, sfn } from '../../functions/core/clients.ts';
import { apiEvent, lambdaContext } from '../support/api-event.ts';
import { aVideoRecord } from '../support/video-record.ts';

const ddb = mockClient(dynamodb);
const ddbTables = mockClient(dynamodbTables);
const s3Mock = mockClient(s3);
const sfnMock = mockClient(sfn);
const ecsMock = mockClient(ecs);
beforeEach(() => {
  ecsMock.reset();
  ddb.reset();
  ddbTables.reset();
  s3Mock.reset();
  sfnMock.reset();
});

const id = '3d6f1b0a-7c2e-4f5a-9b8c-1d2e3f4a5b6c';
const saved = aVideoRecord({
  id,
  status: 'saved',
  s3_uri: `s3://test-media/videos/${id}/video.mp4`,
  resolution: '1280x720',
  duration: 12.5,
  file_size: 1234,
});
const parse = (result: { body: string }) => JSON.parse(result.body);
const withId = (extra: Parameters<typeof apiEvent>[0] = {}) =>
  apiEvent({ pathParameters: { id }, resource: '/videos/{id}', path: `/videos/${id}`, ...extra });

describe('GET /videos', () => {
  const list = (query: Record<string, string>) => listVideos(apiEvent({ path: '/videos', queryStringParameters: query }), lambdaContext);

  it('lists by status on the status index, newest first, and returns a cursor for the next page', async () => {
    ddb.on(QueryCommand).resolves({ Items: [saved], LastEvaluatedKey: { id, status: 'saved', created_at: saved.created_at } });

    const body = parse(await list({ status: 'saved', limit: '1' }));

    expect(body.videos).toHaveLength(1);
    expect(body.videos[0]).toMatchObject({ id, status: 'saved' });
    expect(body.videos[0].source_key).toBeUndefined();
    expect(body.next_cursor).toEqual(expect.any(String));
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'status-created_at-index',
      ExpressionAttributeValues: { ':value': 'saved' },
      ScanIndexForward: false,
      Limit: 1,
    });
  });

  it('continues from where the cursor points', async () => {
    const lastKey = { id, source_video_id: 'up-1', created_at: saved.created_at };
    ddb.on(QueryCommand).resolvesOnce({ Items: [saved], LastEvaluatedKey: lastKey }).resolves({ Items: [] });
    const first = parse(await list({ source_video_id: 'up-1' }));

    const second = parse(await list({ source_video_id: 'up-1', cursor: first.next_cursor }));

    expect(second).toEqual({ videos: [] });
    expect(ddb).toHaveReceivedNthCommandWith(QueryCommand, 2, { IndexName: 'source_video_id-index', ExclusiveStartKey: lastKey });
  });

  it('refuses a cursor that was altered', async () => {
    ddb.on(QueryCommand).resolves({ Items: [saved], LastEvaluatedKey: { id, filename: 'a.mp4', created_at: 'x' } });
    const { next_cursor: cursor } = parse(await list({ filename: 'a.mp4' }));
    const [body] = (cursor as string).split('.');
    const forgedBody = Buffer.from(JSON.stringify({ k: { id: 'other' }, q: 'filename=a.mp4' })).toString('base64url');

    const result = await list({ filename: 'a.mp4', cursor: cursor.replace(body, forgedBody) });

    expect(result.statusCode).toBe(400);
    expect(parse(result).error.message).toMatch(/cursor/);
  });

  it('refuses a cursor issued for another query', async () => {
    ddb.on(QueryCommand).resolves({ Items: [saved], LastEvaluatedKey: { id, filename: 'a.mp4', created_at: 'x' } });
    const { next_cursor: cursor } = parse(await list({ filename: 'a.mp4' }));

    const result = await list({ filename: 'b.mp4', cursor });

    expect(result.statusCode).toBe(400);
    expect(parse(result).error.message).toMatch(/another query/);
  });

  it.each([
    [{}, /give one of status, source_video_id or filename/],
    [{ status: 'saved', filename: 'a.mp4' }, /not status and filename/],
    [{ status: 'done' }, /./],
    [{ status: 'saved', limit: '0' }, /./],
    [{ status: 'saved', limit: '101' }, /./],
    [{ status: 'saved', sort: 'asc' }, /./],
  ])('answers 400 for the query %j', async (query, message) => {
    const result = await list(query as Record<string, string>);
    expect(result.statusCode).toBe(400);
    expect(parse(result).error.message).toMatch(message);
    expect(ddb).not.toHaveReceivedCommand(QueryCommand);
  });
});

describe('GET /videos/{id}/playback', () => {
  const play = (query?: Record<string, string>) => getPlayback(withId(query ? { queryStringParameters: query } : {}), lambdaContext);

  it('answers a presigned GET for the MP4 with its expiry, one hour by default', async () => {
    ddb.on(GetCommand).resolves({ Item: saved });
    const body = parse(await play());
    const url = new URL(body.url);
    expect(url.pathname).toContain(`videos/${id}/video.mp4`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(url.searchParams.get('response-content-type')).toBe('video/mp4');
    expect(Date.parse(body.expires_at) - Date.now()).toBeGreaterThan(3590_000);
  });

  it('honours expires_in and redirects with redirect=1', async () => {
    ddb.on(GetCommand).resolves({ Item: saved });
    const result = await play({ expires_in: '600', redirect: '1' });
    expect(result.statusCode).toBe(302);
    expect(new URL(result.headers!.Location as string).searchParams.get('X-Amz-Expires')).toBe('600');
  });

  it('refuses a lifetime above 12 hours', async () => {
    const result = await play({ expires_in: String(12 * 3600 + 1) });
    expect(result.statusCode).toBe(400);
    expect(parse(result).error.details[0].field).toBe('query.expires_in');
  });

  it('answers 409 not_ready before the video is saved', async () => {
    ddb.on(GetCommand).resolves({ Item: aVideoRecord({ id, status: 'processing' }) });
    const result = await play();
    expect(result.statusCode).toBe(409);
    expect(parse(result).error).toMatchObject({ code: 'not_ready', details: { status: 'processing' } });
  });

  it('answers 404 for an unknown video', async () => {
    ddb.on(GetCommand).resolves({});
    expect((await play()).statusCode).toBe(404);
  });
});

describe('PATCH /videos/{id}', () => {
  const patch = (json: unknown) => updateVideo(withId({ httpMethod: 'PATCH', json }), lambdaContext);

  it('changes the client-owned fields and returns the updated video', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { ...saved, title: 'Keynote', tags: ['conf'] } });
    const result = await patch({ title: 'Keynote', tags: ['conf'] });
    expect(result.statusCode).toBe(200);
    expect(parse(result)).toMatchObject({ id, title: 'Keynote', tags: ['conf'] });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { id },
      ConditionExpression: 'attribute_exists(id)',
      ExpressionAttributeValues: expect.objectContaining({ ':v0': 'Keynote', ':v1': ['conf'] }),
    });
  });

  it('refuses pipeline-owned fields with a 400 naming them', async () => {
    const result = await patch({ status: 'saved', duration: 1, title: 'x' });
    expect(result.statusCode).toBe(400);
    expect(parse(result).error.message).toMatch(/status, duration are set by the pipeline and cannot be changed/);
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('refuses a filename with control characters, and keeps one in any script', async () => {
    const refused = await patch({ filename: 'talk\r\n.mp4' });
    expect(refused.statusCode).toBe(400);
    expect(parse(refused).error.message).toMatch(/control characters/);
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);

    ddb.on(UpdateCommand).resolves({ Attributes: { ...saved, filename: '講義 🎬.mp4' } });
    expect((await patch({ filename: '講義 🎬.mp4' })).statusCode).toBe(200);
  });

  it('refuses fields a video does not have, and an empty change', async () => {
    expect(parse(await patch({ colour: 'red' })).error.message).toMatch(/colour is not a field of a video/);
    expect(parse(await patch({})).error.message).toMatch(/nothing to change/);
  });

  it('answers 404 for an unknown video', async () => {
    const { ConditionalCheckFailedException } = await import('@aws-sdk/client-dynamodb');
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    expect((await patch({ title: 'x' })).statusCode).toBe(404);
  });
});

describe('DELETE /videos/{id}', () => {
  const remove = () => deleteVideo(withId({ httpMethod: 'DELETE' }), lambdaContext);

  it('deletes every object under the three prefixes, then the record', async () => {
    ddb.on(GetCommand).resolves({ Item: saved });
    // The general answer first: aws-sdk-client-mock lets a later, narrower one take precedence.
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3Mock.on(ListObjectsV2Command, { Prefix: `videos/${id}/` }).resolves({ Contents: [{ Key: `videos/${id}/video.mp4` }] });
    s3Mock.on(DeleteObjectsCommand).resolves({});

    const result = await remove();

    expect(result.statusCode).toBe(204);
    for (const prefix of [`uploads/${id}/`, `temp/${id}/`, `videos/${id}/`]) {
      expect(s3Mock).toHaveReceivedCommandWith(ListObjectsV2Command, { Bucket: 'test-media', Prefix: prefix });
    }
    expect(s3Mock).toHaveReceivedCommandWith(DeleteObjectsCommand, { Delete: { Objects: [{ Key: `videos/${id}/video.mp4` }], Quiet: true } });
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: { id } });
    expect(sfnMock).not.toHaveReceivedCommand(StopExecutionCommand);
  });

  it('stops a running execution before deleting anything', async () => {
    const executionArn = 'arn:aws:states:us-east-1:1:execution:vidp:abc';
    ddb.on(GetCommand).resolves({ Item: aVideoRecord({ id, status: 'processing', execution_id: executionArn }) });
    s3Mock.on(ListObjectsV2Command).resolves({});
    sfnMock.on(StopExecutionCommand).resolves({});

    expect((await remove()).statusCode).toBe(204);
    expect(sfnMock).toHaveReceivedCommandWith(StopExecutionCommand, { executionArn, error: 'VideoDeleted' });
  });

  it('stops the ECS task encoding it, after its execution, so the encode ends now rather than at its next heartbeat', async () => {
    const executionArn = 'arn:aws:states:us-east-1:1:execution:vidp:abc';
    const taskArn = 'arn:aws:ecs:us-east-1:1:task/vidp-cluster/0123456789abcdef0123456789abcdef';
    ddb.on(GetCommand).resolves({ Item: aVideoRecord({ id, status: 'processing', execution_id: executionArn, transcode_task_arn: taskArn }) });
    s3Mock.on(ListObjectsV2Command).resolves({});
    sfnMock.on(StopExecutionCommand).resolves({});
    ecsMock.on(StopTaskCommand).resolves({});

    expect((await remove()).statusCode).toBe(204);
    expect(ecsMock).toHaveReceivedCommandWith(StopTaskCommand, { cluster: 'vidp-cluster', task: taskArn });
    expect(sfnMock.commandCalls(StopExecutionCommand)[0]!.calledBefore(ecsMock.commandCalls(StopTaskCommand)[0]!)).toBe(true);
  });

  it('deletes a video whose task has stopped already (ECS no longer knows it)', async () => {
    ddb.on(GetCommand).resolves({ Item: aVideoRecord({ id, status: 'processing', execution_id: 'arn:x', transcode_task_arn: 'arn:aws:ecs:us-east-1:1:task/c/1' }) });
    s3Mock.on(ListObjectsV2Command).resolves({});
    sfnMock.on(StopExecutionCommand).resolves({});
    ecsMock.on(StopTaskCommand).rejects(new InvalidParameterException({ message: 'The referenced task was not found.', $metadata: {} }));

    expect((await remove()).statusCode).toBe(204);
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: { id } });
  });

  it('answers 204 again for a video that is gone (idempotent)', async () => {
    ddb.on(GetCommand).resolves({});
    s3Mock.on(ListObjectsV2Command).resolves({});
    expect((await remove()).statusCode).toBe(204);
    expect(s3Mock).not.toHaveReceivedCommand(DeleteObjectsCommand);
  });
});

describe('GET /health', () => {
  it('answers 200 with the version when S3 and DynamoDB answer', async () => {
    s3Mock.on(HeadBucketCommand).resolves({});
    ddbTables.on(DescribeTableCommand).resolves({});
    const result = await health(apiEvent({ path: '/health' }), lambdaContext);
    expect(result.statusCode).toBe(200);
    expect(parse(result)).toEqual({ status: 'ok', version: 'dev', s3: 'ok', dynamodb: 'ok' });
  });

  it('answers 503 naming the dependency that does not answer', async () => {
    s3Mock.on(HeadBucketCommand).resolves({});
    ddbTables.on(DescribeTableCommand).rejects(new Error('connect ECONNREFUSED'));
    const result = await health(apiEvent({ path: '/health' }), lambdaContext);
    expect(result.statusCode).toBe(503);
    expect(parse(result)).toMatchObject({ status: 'unavailable', s3: 'ok', dynamodb: 'unreachable' });
    expect(result.body).not.toContain('ECONNREFUSED');
  });
});

describe('GET /openapi.json', () => {
  it('describes every route of the API as OpenAPI 3.1', async () => {
    const document = parse(await openapi(apiEvent({ path: '/openapi.json' }), lambdaContext));
    expect(document.openapi).toBe('3.1.0');
    const described = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(described.sort()).toEqual(API_ROUTES.map((route) => `${route.method} ${route.path}`).sort());
  });

  it('takes request schemas from the validators: the create body requires filename, size and subtitles', async () => {
    const document = parse(await openapi(apiEvent({ path: '/openapi.json' }), lambdaContext));
    const schema = document.paths['/videos'].post.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(expect.arrayContaining(['filename', 'content_type', 'size', 'subtitles']));
    expect(schema.properties.crf).toMatchObject({ minimum: 12, maximum: 51, default: 23 });
  });
});
