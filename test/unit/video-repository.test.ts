import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../functions/core/errors.ts';
import { createVideoRepository } from '../../functions/core/video-repository.ts';
import { aVideoRecord } from '../support/video-record.ts';


const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const ddb = mockClient(documentClient);
const repository = createVideoRepository(documentClient, 'videos');

const record = aVideoRecord();

const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

beforeEach(() => ddb.reset());

describe('video repository', () => {
  it('creates a record only if its id is new', async () => {
    ddb.on(PutCommand).resolves({});
    await repository.create(record);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'videos',
      Item: { ...record, timeline: [{ status: 'awaiting_upload', at: record.created_at }] },
      ConditionExpression: 'attribute_not_exists(id)',
    });
  });

  it('reports an existing id as a conflict', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());
    await expect(repository.create(record)).rejects.toBeInstanceOf(ConflictError);
  });

  it('reads records consistently and validates their shape', async () => {
    ddb.on(GetCommand).resolves({ Item: record });
    await expect(repository.get(record.id)).resolves.toEqual(record);
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { Key: { id: record.id }, ConsistentRead: true });
  });

  it('answers not found for a missing record', async () => {
    ddb.on(GetCommand).resolves({});
    await expect(repository.get('missing')).rejects.toBeInstanceOf(NotFoundError);
    await expect(repository.find('missing')).resolves.toBeUndefined();
  });

  it('writes progress only while processing, clamped to 0–100', async () => {
    ddb.on(UpdateCommand).resolves({});
    await expect(repository.updateProgress(record.id, 142.37)).resolves.toBe(true);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      ConditionExpression: '#status IN (:queued, :processing)',
      ExpressionAttributeValues: expect.objectContaining({ ':progress': 100, ':queued': 'queued', ':processing': 'processing' }),
    });
  });

  it('moves a queued video to processing when its worker starts, with a timeline entry, even without a task ARN', async () => {
    ddb.on(UpdateCommand).resolves({});
    const at = new Date('2026-12-01T10:00:00.000Z');
    await expect(repository.recordTranscodeTask(record.id, undefined, 'arn:execution:e-1', at)).resolves.toBe(true);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      UpdateExpression: 'SET #status = :processing, #updated = :now, #timeline = list_append(if_not_exists(#timeline, :empty), :entry)',
      ConditionExpression: '#status IN (:queued, :processing) AND #execution = :execution',
      ExpressionAttributeValues: expect.objectContaining({
        ':entry': [{ status: 'processing', at: at.toISOString(), execution_id: 'arn:execution:e-1' }],
      }),
    });
  });

  it('records the audio tracks while processing, leaving out what the file does not say', async () => {
    ddb.on(UpdateCommand).resolves({});
    const tracks = [
      { track: 1, language: 'eng', channels: 2, codec: 'aac', default: false, kept: false },
      { track: 2, language: undefined, channels: 6, codec: 'ac3', default: true, kept: true },
    ];
    await expect(repository.recordAudioTracks(record.id, tracks)).resolves.toBe(true);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      UpdateExpression: 'SET #tracks = :tracks',
      ConditionExpression: '#status IN (:queued, :processing)',
      ExpressionAttributeValues: { ':tracks': [tracks[0], { track: 2, channels: 6, codec: 'ac3', default: true, kept: true }], ':queued': 'queued', ':processing': 'processing' },
    });
    ddb.on(UpdateCommand).rejects(conditionFailed());
    await expect(repository.recordAudioTracks(record.id, tracks)).resolves.toBe(false);
  });

  it('drops a late progress write instead of failing', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    await expect(repository.updateProgress(record.id, 50)).resolves.toBe(false);
  });

  it('marks failed only from a status that has not ended', async () => {
    ddb.on(UpdateCommand).resolves({});
    const error = { code: 'input_invalid', message: 'not a video' };
    await expect(repository.markFailed(record.id, error)).resolves.toBe(true);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      ConditionExpression: '#status IN (:awaiting, :queued, :processing)',
      ExpressionAttributeValues: expect.objectContaining({ ':failed': 'failed', ':error': error }),
    });
  });

  it('never overwrites a saved video with a late failure', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    await expect(repository.markFailed(record.id, { code: 'timeout', message: 'late' })).resolves.toBe(false);
  });

  it('propagates errors other than a failed condition', async () => {
    ddb.on(UpdateCommand).rejects(new Error('throttled'));
    await expect(repository.markFailed(record.id, { code: 'timeout', message: 'x' })).rejects.toThrow('throttled');
  });
});
