import { randomUUID } from 'node:crypto';
import { isSourceUploadKey } from '../../../functions/core/keys.ts';
import type { CloudLog } from '../cloud-log.ts';
import type { JsonValue } from '../json.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../local-resources.ts';
import type { ObjectWriteOperation, S3NotificationRecord } from '../s3/local-s3.ts';

/** The EventBridge event S3 sends for a new object (the bucket has EventBridge notifications on). */
export interface ObjectCreatedEvent {
  version: '0';
  id: string;
  'detail-type': 'Object Created';
  source: 'aws.s3';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    version: '0';
    bucket: { name: string };
    object: { key: string; size: number; etag: string; sequencer: string };
    'request-id': string;
    requester: string;
    reason: ObjectWriteOperation;
  };
}

/** An S3 notification record → the EventBridge "Object Created" event S3 sends for the same write. */
export function toObjectCreatedEvent(record: S3NotificationRecord): ObjectCreatedEvent | undefined {
  if (!record.eventName.startsWith('ObjectCreated:')) return undefined;
  const { bucket, object } = record.s3;
  const etag = (object.eTag ?? '').replaceAll('"', '');
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: LOCAL_ACCOUNT_ID,
    time: record.eventTime.replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [`arn:aws:s3:::${bucket.name}`],
    detail: {
      version: '0',
      bucket: { name: bucket.name },
      object: { key: object.key, size: Number(object.size ?? 0), etag, sequencer: object.sequencer },
      'request-id': randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase(),
      requester: LOCAL_ACCOUNT_ID,
      reason: record.operation ?? reasonOf(record.eventName),
    },
  };
}

function reasonOf(eventName: string): ObjectWriteOperation {
  switch (eventName) {
    case 'ObjectCreated:Copy':
      return 'CopyObject';
    case 'ObjectCreated:CompleteMultipartUpload':
      return 'CompleteMultipartUpload';
    case 'ObjectCreated:Post':
      return 'POST Object';
    default:
      return 'PutObject';
  }
}

/**
 * The EventBridge rule of the stack: "Object Created" in the media bucket with a key matching
 * uploads/*\/source.* starts the pipeline, with the event as the execution's input.
 */
export function connectUploadsToWorkflow(options: {
  s3: { onNotification(listener: (record: S3NotificationRecord) => void): void };
  bucket: string;
  /** The rule's target: StartExecution, as the rule's role (it may refuse: then the event is not delivered). */
  startExecution: (input: JsonValue) => string | Promise<string>;
  logger: CloudLog;
  /** Completes an event whose record lacks the ETag (s3rver's CopyObject notifications carry none). */
  lookUpEtag?: (key: string) => Promise<string | undefined>;
}): void {
  options.s3.onNotification((record) => {
    const event = toObjectCreatedEvent(record);
    if (event === undefined || event.detail.bucket.name !== options.bucket || !isSourceUploadKey(event.detail.object.key)) return;
    void withEtag(event, options.lookUpEtag)
      .then(async (complete) => {
        options.logger(`[events] ${complete.detail.reason} ${complete.detail.object.key} → pipeline`);
        await options.startExecution(complete as unknown as JsonValue);
      })
      .catch((error: unknown) => options.logger(`[events] could not start the pipeline: ${String(error)}`));
  });
}

async function withEtag(
  event: ObjectCreatedEvent,
  lookUpEtag: ((key: string) => Promise<string | undefined>) | undefined,
): Promise<ObjectCreatedEvent> {
  if (event.detail.object.etag !== '' || lookUpEtag === undefined) return event;
  const etag = (await lookUpEtag(event.detail.object.key))?.replaceAll('"', '') ?? '';
  return { ...event, detail: { ...event.detail, object: { ...event.detail.object, etag } } };
}
