import { describe, expect, it } from 'vitest';
import { s3RequestOf } from '../../infra/local/s3/s3-authorization.ts';

/** A path-style request as the S3 middlewares see it, once the signature's own query parameters are gone. */
const request = (method: string, path: string, query: Record<string, string> = {}, headers: Record<string, string> = {}) => ({ method, path, query, headers });

describe('which S3 operation a request is, for IAM', () => {
  it.each([
    ['GET', '/media/videos/a%20b/video.mp4', {}, {}, 'GetObject', { Bucket: 'media', Key: 'videos/a b/video.mp4' }],
    ['HEAD', '/media/uploads/v/source.mp4', { 'x-id': 'HeadObject' }, {}, 'HeadObject', { Bucket: 'media', Key: 'uploads/v/source.mp4' }],
    ['PUT', '/media/temp/v/subtitles.srt', {}, {}, 'PutObject', { Bucket: 'media', Key: 'temp/v/subtitles.srt' }],
    ['PUT', '/media/uploads/v/source.mp4', {}, { 'x-amz-copy-source': 'media/uploads/v/source.mp4' }, 'CopyObject', { Bucket: 'media', Key: 'uploads/v/source.mp4', CopySource: 'media/uploads/v/source.mp4' }],
    ['POST', '/media/videos/v/video.mp4', { uploads: '' }, {}, 'CreateMultipartUpload', { Bucket: 'media', Key: 'videos/v/video.mp4' }],
    ['PUT', '/media/videos/v/video.mp4', { partNumber: '1', uploadId: 'u' }, {}, 'UploadPart', { Bucket: 'media', Key: 'videos/v/video.mp4' }],
    ['POST', '/media/videos/v/video.mp4', { uploadId: 'u' }, {}, 'CompleteMultipartUpload', { Bucket: 'media', Key: 'videos/v/video.mp4' }],
    ['GET', '/media/uploads/v/source.mp4', { uploadId: 'u' }, {}, 'ListParts', { Bucket: 'media', Key: 'uploads/v/source.mp4' }],
    ['DELETE', '/media/uploads/v/source.mp4', { uploadId: 'u' }, {}, 'AbortMultipartUpload', { Bucket: 'media', Key: 'uploads/v/source.mp4' }],
    ['DELETE', '/media/temp/v/subtitles.srt', {}, {}, 'DeleteObject', { Bucket: 'media', Key: 'temp/v/subtitles.srt' }],
    ['HEAD', '/media', {}, {}, 'HeadBucket', { Bucket: 'media' }],
    ['GET', '/media', { 'list-type': '2', prefix: 'temp/', 'max-keys': '100' }, {}, 'ListObjectsV2', { Bucket: 'media', Prefix: 'temp/', MaxKeys: 100 }],
    ['GET', '/media', { uploads: '' }, {}, 'ListMultipartUploads', { Bucket: 'media' }],
    ['POST', '/media', { delete: '' }, {}, 'DeleteObjects', { Bucket: 'media' }],
  ])('%s %s %j %j is %s', (method, path, query, headers, operation, call) => {
    expect(s3RequestOf(request(method, path, query, headers))).toEqual({ operation, call });
  });

  it('maps no sub-resource it has no IAM rule for (the local cloud refuses those to roles)', () => {
    expect(s3RequestOf(request('GET', '/media', { cors: '' }))).toBeUndefined();
    expect(s3RequestOf(request('PUT', '/media/videos/v/video.mp4', { tagging: '' }))).toBeUndefined();
    expect(s3RequestOf(request('GET', '/'))).toBeUndefined();
  });
});
