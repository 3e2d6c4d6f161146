import { describe, expect, it } from 'vitest';
import { toObjectCreatedEvent } from '../../infra/local/events/s3-upload-rule.ts';
import type { S3NotificationRecord } from '../../infra/local/s3/local-s3.ts';

function record(overrides: Partial<S3NotificationRecord> = {}): S3NotificationRecord {
  return {
    eventName: 'ObjectCreated:Put',
    eventTime: '2026-01-02T03:04:05.678Z',
    s3: { bucket: { name: 'media' }, object: { key: 'uploads/v1/source.mp4', size: 42, eTag: 'abc123', sequencer: '18D' } },
    ...overrides,
  };
}

describe('toObjectCreatedEvent', () => {
  it('turns an S3 notification into the EventBridge "Object Created" event', () => {
    expect(toObjectCreatedEvent(record())).toEqual({
      version: '0',
      id: expect.any(String),
      'detail-type': 'Object Created',
      source: 'aws.s3',
      account: '000000000000',
      time: '2026-01-02T03:04:05Z',
      region: 'us-east-1',
      resources: ['arn:aws:s3:::media'],
      detail: {
        version: '0',
        bucket: { name: 'media' },
        object: { key: 'uploads/v1/source.mp4', size: 42, etag: 'abc123', sequencer: '18D' },
        'request-id': expect.any(String),
        requester: '000000000000',
        reason: 'PutObject',
      },
    });
  });

  it('takes the reason from the request that wrote the object', () => {
    expect(toObjectCreatedEvent(record({ eventName: 'ObjectCreated:Post', operation: 'CompleteMultipartUpload' }))?.detail.reason).toBe(
      'CompleteMultipartUpload',
    );
  });

  it('falls back on the notification’s event name for the reason', () => {
    expect(toObjectCreatedEvent(record({ eventName: 'ObjectCreated:Post' }))?.detail.reason).toBe('POST Object');
    expect(toObjectCreatedEvent(record({ eventName: 'ObjectCreated:Copy' }))?.detail.reason).toBe('CopyObject');
  });

  it('ignores deletions', () => {
    expect(toObjectCreatedEvent(record({ eventName: 'ObjectRemoved:Delete' }))).toBeUndefined();
  });
});
