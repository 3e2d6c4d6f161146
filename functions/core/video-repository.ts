import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError } from './errors.ts';
import {
  IN_FLIGHT_STATUSES,
  VideoRecordSchema,
  type AudioTrack,
  type TimelineEntry,
  type VideoError,
  type VideoRecord,
  type VideoStatus,
} from './video.ts';

/** The table's global secondary indexes, named by the attributes they query (created_at is every sort key). */
export const VIDEO_INDEXES = {
  byStatus: 'status-created_at-index',
  bySourceVideoId: 'source_video_id-index',
  byFilename: 'filename-index',
} as const;

export type VideoRepository = ReturnType<typeof createVideoRepository>;

/** The attribute each index is partitioned by; all three sort by created_at. */
export const INDEX_PARTITION_KEYS = {
  [VIDEO_INDEXES.byStatus]: 'status',
  [VIDEO_INDEXES.bySourceVideoId]: 'source_video_id',
  [VIDEO_INDEXES.byFilename]: 'filename',
} as const;
export type VideoIndexName = keyof typeof INDEX_PARTITION_KEYS;

export type StartKey = Record<string, string>;

/** The condition (and its values) of a write that only lands while the job is queued or processing. */
const IN_FLIGHT_VALUES: Record<string, VideoStatus> = Object.fromEntries(IN_FLIGHT_STATUSES.map((status) => [`:${status}`, status]));
const IN_FLIGHT_CONDITION = `#status IN (${Object.keys(IN_FLIGHT_VALUES).join(', ')})`;

export interface VideoPage {
  videos: VideoRecord[];
  /** Where the next page starts; absent on the last page. */
  nextStartKey?: StartKey;
}

/** Fields a client may change after creating a video. */
export type ClientOwnedFields = Partial<Pick<VideoRecord, 'filename' | 'source_video_id' | 'title' | 'tags'>>;

/**
 * Every write is conditional: a record is created once, and its status only moves forward
 * (awaiting_upload → queued → processing → saved | failed), whatever order events arrive in.
 */
export function createVideoRepository(client: DynamoDBDocumentClient, tableName: string) {
  /** An update that only lands while the job is in flight, queued or processing (false once it has ended). */
  const updateWhileInFlight = (
    id: string,
    updateExpression: string,
    attributes: { names: Record<string, string>; values: Record<string, unknown> },
  ) =>
    conditionalUpdate(client, {
      TableName: tableName,
      Key: { id },
      UpdateExpression: updateExpression,
      ConditionExpression: IN_FLIGHT_CONDITION,
      ExpressionAttributeNames: { ...attributes.names, '#status': 'status' },
      ExpressionAttributeValues: { ...attributes.values, ...IN_FLIGHT_VALUES },
    });

  /** Like updateWhileInFlight, and only for this execution when given: a late task of an old attempt changes nothing. */
  const updateForExecution = (
    id: string,
    executionId: string | undefined,
    updateExpression: string,
    attributes: { names: Record<string, string>; values: Record<string, unknown> },
  ) =>
    executionId === undefined
      ? updateWhileInFlight(id, updateExpression, attributes)
      : conditionalUpdate(client, {
          TableName: tableName,
          Key: { id },
          UpdateExpression: updateExpression,
          ConditionExpression: `${IN_FLIGHT_CONDITION} AND #execution = :execution`,
          ExpressionAttributeNames: { ...attributes.names, '#status': 'status', '#execution': 'execution_id' },
          ExpressionAttributeValues: { ...attributes.values, ...IN_FLIGHT_VALUES, ':execution': executionId },
        });

  return {
    async create(record: VideoRecord): Promise<void> {
      try {
        // The timeline starts with the status the record is created in.
        const item: VideoRecord = record.timeline ? record : { ...record, timeline: [{ status: record.status, at: record.created_at }] };
        await client.send(
          new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(id)' }),
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

    /** Newest first, `limit` at most, from `startKey` on. */
    async listByIndex(query: {
      index: VideoIndexName;
      value: string;
      limit: number;
      startKey?: StartKey;
    }): Promise<VideoPage> {
      const partitionKey = INDEX_PARTITION_KEYS[query.index];
      const { Items = [], LastEvaluatedKey } = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: query.index,
          KeyConditionExpression: '#key = :value',
          ExpressionAttributeNames: { '#key': partitionKey },
          ExpressionAttributeValues: { ':value': query.value },
          ScanIndexForward: false,
          Limit: query.limit,
          ...(query.startKey === undefined ? {} : { ExclusiveStartKey: query.startKey }),
        }),
      );
      return toPage(Items, LastEvaluatedKey);
    },

    /** Sets the given client-owned fields; returns the updated record. */
    async updateClientFields(id: string, fields: ClientOwnedFields, now = new Date()): Promise<VideoRecord> {
      const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
      const names: Record<string, string> = { '#updated': 'updated_at' };
      const values: Record<string, unknown> = { ':now': now.toISOString() };
      const assignments = ['#updated = :now'];
      for (const [index, [field, value]] of entries.entries()) {
        names[`#f${index}`] = field;
        values[`:v${index}`] = value;
        assignments.push(`#f${index} = :v${index}`);
      }
      try {
        const { Attributes } = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { id },
            UpdateExpression: `SET ${assignments.join(', ')}`,
            ConditionExpression: 'attribute_exists(id)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        return VideoRecordSchema.parse(Attributes);
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) throw new NotFoundError(`No video with id ${id}`);
        throw error;
      }
    },

    /** Removes the record; removing one that is gone already is not an error. */
    async delete(id: string): Promise<void> {
      await client.send(new DeleteCommand({ TableName: tableName, Key: { id } }));
    },

    async get(id: string): Promise<VideoRecord> {
      const record = await this.find(id);
      if (record === undefined) throw new NotFoundError(`No video with id ${id}`);
      return record;
    },

    /**
     * The worker's start: the video moves from `queued` to `processing`, with the ECS task that encodes it
     * (DELETE stops that task) and a timeline entry (one per attempt: a retried task starts again). Only while
     * the job is in flight, and for that execution when given: a late task changes nothing.
     */
    async recordTranscodeTask(id: string, taskArn: string | undefined, executionId?: string, now = new Date()): Promise<boolean> {
      const entry: TimelineEntry = { status: 'processing', at: now.toISOString(), ...(executionId === undefined ? {} : { execution_id: executionId }) };
      return conditionalUpdate(client, {
        TableName: tableName,
        Key: { id },
        UpdateExpression: `SET ${taskArn === undefined ? '' : '#task = :task, '}#status = :processing, #updated = :now, #timeline = list_append(if_not_exists(#timeline, :empty), :entry)${taskArn === undefined ? '' : ' ADD #tasks :tasks'}`,
        ConditionExpression: executionId === undefined ? IN_FLIGHT_CONDITION : `${IN_FLIGHT_CONDITION} AND #execution = :execution`,
        ExpressionAttributeNames: {
          ...(taskArn === undefined ? {} : { '#task': 'transcode_task_arn', '#tasks': 'transcode_task_arns' }),
          '#status': 'status',
          '#updated': 'updated_at',
          '#timeline': 'timeline',
          ...(executionId === undefined ? {} : { '#execution': 'execution_id' }),
        },
        ExpressionAttributeValues: {
          ...(taskArn === undefined ? {} : { ':task': taskArn, ':tasks': new Set([taskArn]) }),
          ':now': now.toISOString(),
          ':entry': [entry],
          ':empty': [],
          ...IN_FLIGHT_VALUES,
          ...(executionId === undefined ? {} : { ':execution': executionId }),
        },
      });
    },

    /**
     * A segmented encode is planned: how many segments, and the source's duration their progress adds up to.
     * For the execution that owns the job only.
     */
    async recordSegmentPlan(id: string, plan: { segmentCount: number; sourceDuration: number; executionId?: string | undefined }, now = new Date()): Promise<boolean> {
      return updateForExecution(id, plan.executionId, 'SET #segments = :segments, #duration = :duration, #parts = :noProgress, #progress = :zero, #updated = :now', {
        names: { '#segments': 'segment_count', '#duration': 'source_duration', '#parts': 'segment_progress', '#progress': 'progress', '#updated': 'updated_at' },
        values: { ':segments': plan.segmentCount, ':duration': plan.sourceDuration, ':noProgress': {}, ':zero': 0, ':now': now.toISOString() },
      });
    },

    /**
     * A segment's or the join's ECS task, added to the job's tasks (DELETE stops every one). The record stays
     * `processing`, with no timeline entry: the planner's start made that one.
     */
    async recordPartTask(id: string, taskArn: string, executionId?: string): Promise<boolean> {
      return updateForExecution(id, executionId, 'ADD #tasks :tasks', { names: { '#tasks': 'transcode_task_arns' }, values: { ':tasks': new Set([taskArn]) } });
    },

    /** How many seconds of the source one segment has encoded; advisory like updateProgress. */
    async updateSegmentProgress(id: string, segment: string, seconds: number, executionId?: string): Promise<boolean> {
      return updateForExecution(id, executionId, 'SET #parts.#segment = :seconds', {
        names: { '#parts': 'segment_progress', '#segment': segment },
        values: { ':seconds': Math.round(Math.max(0, seconds) * 10) / 10 },
      });
    },

    /** Progress is advisory: a write that lands after the job has ended is dropped, not an error. */
    async updateProgress(id: string, percent: number, now = new Date()): Promise<boolean> {
      return conditionalUpdate(client, {
        TableName: tableName,
        Key: { id },
        UpdateExpression: 'SET #progress = :progress, #updated = :now',
        ConditionExpression: IN_FLIGHT_CONDITION,
        ExpressionAttributeNames: { '#progress': 'progress', '#updated': 'updated_at', '#status': 'status' },
        ExpressionAttributeValues: {
          ':progress': Math.round(Math.min(100, Math.max(0, percent)) * 10) / 10,
          ':now': now.toISOString(),
          ...IN_FLIGHT_VALUES,
        },
      });
    },

    /**
     * Ends a job as failed. Only from a status that has not ended: a late failure never overwrites `saved`.
     * With `executionId`, a record in flight must belong to that execution (a stale execution cannot fail a
     * newer attempt); with `onlyFrom`, only records in that state change (cleanup expires uploads; the
     * reconciler fails in-flight records of one execution only).
     * Returns false when the record had already ended (or does not exist).
     */
    async markFailed(
      id: string,
      error: VideoError,
      now = new Date(),
      options: { executionId?: string; onlyFrom?: 'awaiting_upload' | 'in_flight' } = {},
    ): Promise<boolean> {
      const entry: TimelineEntry = {
        status: 'failed',
        at: now.toISOString(),
        code: error.code,
        ...(options.executionId === undefined ? {} : { execution_id: options.executionId }),
      };
      let condition = '#status IN (:awaiting, :queued, :processing)';
      const values: Record<string, unknown> = {
        ':failed': 'failed' satisfies VideoStatus,
        ':awaiting': 'awaiting_upload' satisfies VideoStatus,
        ':error': error,
        ':now': now.toISOString(),
        ':entry': [entry],
        ':empty': [],
      };
      if (options.onlyFrom === 'awaiting_upload') {
        condition = '#status = :awaiting';
      } else if (options.onlyFrom === 'in_flight') {
        // DynamoDB refuses values the expressions do not use.
        delete values[':awaiting'];
        Object.assign(values, IN_FLIGHT_VALUES);
        condition = IN_FLIGHT_CONDITION;
        if (options.executionId !== undefined) {
          condition = `${condition} AND #execution = :execution`;
          values[':execution'] = options.executionId;
        }
      } else {
        Object.assign(values, IN_FLIGHT_VALUES);
        if (options.executionId !== undefined) {
          condition = `#status = :awaiting OR (${IN_FLIGHT_CONDITION} AND (attribute_not_exists(#execution) OR #execution = :execution))`;
          values[':execution'] = options.executionId;
        }
      }
      return conditionalUpdate(client, {
        TableName: tableName,
        Key: { id },
        UpdateExpression:
          'SET #status = :failed, #error = :error, #updated = :now, #timeline = list_append(if_not_exists(#timeline, :empty), :entry)',
        ConditionExpression: condition,
        ExpressionAttributeNames: {
          '#status': 'status',
          '#error': 'error',
          '#updated': 'updated_at',
          '#timeline': 'timeline',
          ...(options.executionId === undefined || options.onlyFrom === 'awaiting_upload' ? {} : { '#execution': 'execution_id' }),
        },
        ExpressionAttributeValues: values,
      });
    },

    /**
     * The one way back: a failed video waits for its (kept) upload again, so a new workflow run can claim it.
     * Returns false unless the video was `failed`.
     */
    async reopenForRetry(id: string, now = new Date()): Promise<boolean> {
      const entry: TimelineEntry = { status: 'awaiting_upload', at: now.toISOString(), note: 'retry requested' };
      return conditionalUpdate(client, {
        TableName: tableName,
        Key: { id },
        UpdateExpression:
          'SET #status = :awaiting, #updated = :now, #timeline = list_append(if_not_exists(#timeline, :empty), :entry) REMOVE #error, #progress',
        ConditionExpression: '#status = :failed',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#updated': 'updated_at',
          '#timeline': 'timeline',
          '#error': 'error',
          '#progress': 'progress',
        },
        ExpressionAttributeValues: {
          ':awaiting': 'awaiting_upload' satisfies VideoStatus,
          ':failed': 'failed' satisfies VideoStatus,
          ':now': now.toISOString(),
          ':entry': [entry],
          ':empty': [],
        },
      });
    },

    /** Notes for the user, added while processing; dropped (false) once the job has ended. */
    async addWarnings(id: string, warnings: readonly string[]): Promise<boolean> {
      if (warnings.length === 0) return true;
      return updateWhileInFlight(id, 'SET #warnings = list_append(if_not_exists(#warnings, :empty), :warnings)', {
        names: { '#warnings': 'warnings' },
        values: { ':warnings': [...warnings], ':empty': [] },
      });
    },

    /** The source's audio tracks, kept and dropped (see AudioTrackSchema); like warnings, only while processing. */
    async recordAudioTracks(id: string, tracks: readonly AudioTrack[]): Promise<boolean> {
      return updateWhileInFlight(id, 'SET #tracks = :tracks', {
        names: { '#tracks': 'audio_tracks' },
        // Absent fields left out: DynamoDB has no undefined.
        values: { ':tracks': tracks.map((track) => Object.fromEntries(Object.entries(track).filter(([, value]) => value !== undefined))) },
      });
    },

    /** Records in `status` created before `before` (oldest first), a page at a time: what cleanup expires. */
    async listCreatedBefore(query: { status: VideoStatus; before: Date; limit: number; startKey?: StartKey }): Promise<VideoPage> {
      const { Items = [], LastEvaluatedKey } = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: VIDEO_INDEXES.byStatus,
          KeyConditionExpression: '#status = :status AND #created < :before',
          ExpressionAttributeNames: { '#status': 'status', '#created': 'created_at' },
          ExpressionAttributeValues: { ':status': query.status, ':before': query.before.toISOString() },
          Limit: query.limit,
          ...(query.startKey === undefined ? {} : { ExclusiveStartKey: query.startKey }),
        }),
      );
      return toPage(Items, LastEvaluatedKey);
    },
  };
}

/** A query's items as validated records, and where the next page starts. */
function toPage(items: Record<string, unknown>[], lastEvaluatedKey: Record<string, unknown> | undefined): VideoPage {
  return {
    videos: items.map((item) => VideoRecordSchema.parse(item)),
    ...(lastEvaluatedKey === undefined ? {} : { nextStartKey: lastEvaluatedKey as StartKey }),
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
