import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError } from './errors.ts';
import { VideoRecordSchema, type VideoError, type VideoRecord, type VideoStatus } from './video.ts';

/** The table's global secondary indexes, named by the attributes they query (created_at is every sort key). */
export const VIDEO_INDEXES = {
  byStatus: 'status-created_at-index',
  bySourceVideoId: 'source_video_id-index',
  byFilename: 'filename-index',
} as const;

export type VideoRepository = ReturnType<typeof createVideoRepository>;

/**
 * Every write is conditional: a record is created once, and its status only moves forward
 * (awaiting_upload → processing → saved | failed), whatever order events arrive in.
 */
export function createVideoRepository(client: DynamoDBDocumentClient, tableName: string) {
  return {
    async create(record: VideoRecord): Promise<void> {
      try {
        await client.send(
          new PutCommand({ TableName: tableName, Item: record, ConditionExpression: 'attribute_not_exists(id)' }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          throw new ConflictError(`A video with id ${record.id} already exists`, { cause: error });
        }
        throw error;
      }
    },

    async find(id: string): Promise<VideoRecord | undefined> {
      const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: { id }, ConsistentRead: true }));
      return Item === undefined ? undefined : VideoRecordSchema.parse(Item);
    },

    async get(id: string): Promise<VideoRecord> {
      const record = await this.find(id);
      if (record === undefined) throw new NotFoundError(`No video with id ${id}`);
      return record;
    },

    /** Progress is advisory: a write that lands after the job left `processing` is dropped, not an error. */
    async updateProgress(id: string, percent: number, now = new Date()): Promise<boolean> {
      return conditionalUpdate(client, {
        TableName: tableName,
        Key: { id },
        UpdateExpression: 'SET #progress = :progress, #updated = :now',
        ConditionExpression: '#status = :processing',
        ExpressionAttributeNames: { '#progress': 'progress', '#updated': 'updated_at', '#status': 'status' },
        ExpressionAttributeValues: {
          ':progress': Math.round(Math.min(100, Math.max(0, percent)) * 10) / 10,
          ':now': now.toISOString(),
          ':processing': 'processing' satisfies VideoStatus,
        },
      });
    },

    /**
     * Ends a job as failed. Only from a status that has not ended: a late failure never overwrites `saved`.
     * Returns false when the record had already ended (or does not exist).
     */
    async markFailed(id: string, error: VideoError, now = new Date()): Promise<boolean> {
      return conditionalUpdate(client, {
        TableName: tableName,
        Key: { id },
        UpdateExpression: 'SET #status = :failed, #error = :error, #updated = :now',
        ConditionExpression: '#status IN (:awaiting, :processing)',
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error', '#updated': 'updated_at' },
        ExpressionAttributeValues: {
          ':failed': 'failed' satisfies VideoStatus,
          ':awaiting': 'awaiting_upload' satisfies VideoStatus,
          ':processing': 'processing' satisfies VideoStatus,
          ':error': error,
          ':now': now.toISOString(),
        },
      });
    },
  };
}

async function conditionalUpdate(
  client: DynamoDBDocumentClient,
  input: ConstructorParameters<typeof UpdateCommand>[0],
): Promise<boolean> {
  try {
    await client.send(new UpdateCommand(input));
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
