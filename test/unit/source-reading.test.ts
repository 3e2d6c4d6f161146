import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseSourceRead, FAR_APART_BYTES, streamGapBytes } from '../../containers/ffmpeg/src/source-reading.ts';
import { parseProbe, type ProbedVideo } from '../../containers/ffmpeg/src/probe.ts';
import { createLogger } from '../../functions/core/log.ts';

const s3Mock = mockClient(S3Client);
const URL_LOCATION = 'https://media.s3.eu-west-1.amazonaws.com/uploads/v/source.mp4?X-Amz-Signature=abc';

/** ffprobe's JSON for a video (stream 0) and two audio tracks (1, 2: the second flagged default), first packets at `positions`. */
function sourceWith(positions: Record<number, number>, sizeBytes = 50_000_000): ProbedVideo {
  const probed = parseProbe({
    streams: [
      { index: 0, codec_type: 'video', codec_name: 'h264', width: 320, height: 240 },
      { index: 1, codec_type: 'audio', codec_name: 'aac', disposition: { default: 0 } },
      { index: 2, codec_type: 'audio', codec_name: 'aac', disposition: { default: 1 } },
    ],
    format: { duration: '60.0', size: String(sizeBytes) },
    packets: Object.entries(positions).flatMap(([stream, pos]) => [
      { stream_index: Number(stream), pos: String(pos) },
      { stream_index: Number(stream), pos: String(pos + 1000) },
    ]),
  });
  return { ...probed, video: probed.video! };
}

describe('streamGapBytes', () => {
  it('measures from the video to the audio track the output keeps (the default one), not any track', () => {
    expect(streamGapBytes(sourceWith({ 0: 48, 1: 60_000_048, 2: 5_048 }))).toBe(5_000);
  });

  it('is unknown when the packets were not listed or a stream had none in them', () => {
    const probed = parseProbe({ streams: [{ index: 0, codec_type: 'video', width: 2, height: 2 }, { index: 1, codec_type: 'audio' }] });
    expect(streamGapBytes({ ...probed, video: probed.video! })).toBeUndefined();
    expect(streamGapBytes(sourceWith({ 0: 48 }))).toBeUndefined();
  });
});

describe('chooseSourceRead', () => {
  let workDir: string;
  const logs: Record<string, unknown>[] = [];
  const options = () => ({
    location: URL_LOCATION,
    s3: new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } }),
    object: { bucket: 'media', key: 'uploads/v/source.mp4', etag: 'abc123' },
    workDir,
    signal: new AbortController().signal,
    logger: createLogger({}, (line) => logs.push(JSON.parse(line) as Record<string, unknown>)),
    freeDiskBytes: async () => 10_000_000_000,
  });
  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'vidp-source-reading-'));
    logs.length = 0;
  });
  afterEach(async () => {
    s3Mock.reset();
    await rm(workDir, { recursive: true, force: true });
  });

  it('reads an interleaved source through its URL, copying nothing', async () => {
    const read = await chooseSourceRead(sourceWith({ 0: 48, 2: 300_000 }), options());
    expect(read).toEqual({ location: URL_LOCATION, copyMs: 0 });
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  it('copies a source whose streams lie far apart to the work dir, pinned to the claimed ETag, and reads the copy', async () => {
    s3Mock.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from('the source')]) }));
    const read = await chooseSourceRead(sourceWith({ 0: 48, 2: FAR_APART_BYTES + 49 }), options());
    expect(read.location).toBe(join(workDir, 'source.mp4'));
    expect(await readFile(read.location, 'utf8')).toBe('the source');
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: 'media', Key: 'uploads/v/source.mp4', IfMatch: '"abc123"' });
  });

  it('reports an upload written over since the claim as SourceChangedError', async () => {
    s3Mock.on(GetObjectCommand).rejects(
      new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 }, message: 'Precondition Failed' }),
    );
    await expect(chooseSourceRead(sourceWith({ 0: 48, 2: 20_000_000 }), options())).rejects.toMatchObject({ code: 'source_changed' });
  });

  it('reads through the URL when a copy would not fit on the disk, and says so', async () => {
    const read = await chooseSourceRead(sourceWith({ 0: 48, 2: 20_000_000 }, 50_000_000), { ...options(), freeDiskBytes: async () => 40_000_000 });
    expect(read.location).toBe(URL_LOCATION);
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(logs.some((line) => String(line.message).includes('a copy would not fit'))).toBe(true);
  });

  it('never copies a source that already is a local file', async () => {
    const read = await chooseSourceRead(sourceWith({ 0: 48, 2: 20_000_000 }), { ...options(), location: '/work/source.mp4' });
    expect(read.location).toBe('/work/source.mp4');
  });
});
