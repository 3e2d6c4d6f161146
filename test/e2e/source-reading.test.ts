import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAR_APART_BYTES } from '../../containers/ffmpeg/src/source-reading.ts';
import type { PublicVideo } from '../../functions/core/video.ts';
import { decodedFrames, firstPacketGap, makeInterleavedTwins, videoOf } from '../support/media-corpus.ts';
import { finalStatus, ONE_CUE_SRT, startHarness, submitVideo, writeTemp, type Harness, type SubmittedVideo } from '../support/workflow-harness.ts';

/**
 * A valid non-interleaved MP4 through the whole pipeline, its source read by the real worker from the local
 * S3, whose access log counts the GETs the source key received: a handful (the worker copies such a file
 * before encoding) where ffmpeg reading its presigned URL makes hundreds.
 */
const run = promisify(execFile);
let harness: Harness;
const files = { interleaved: '', nonInterleaved: '' };
const jobs: Record<keyof typeof files, { video: SubmittedVideo; final: PublicVideo & { playback_url?: string }; output: string }> = {} as never;

const getsOf = (key: string) => harness.cloud.s3RequestsFor(key).filter((request) => request.method === 'GET');

beforeAll(async () => {
  harness = await startHarness();
  files.interleaved = join(harness.workDir, 'interleaved.mp4');
  files.nonInterleaved = join(harness.workDir, 'non-interleaved.mp4');
  makeInterleavedTwins(files.interleaved, files.nonInterleaved);
  const subtitles = await writeTemp(harness, 'one.srt', ONE_CUE_SRT);
  // One after the other: each job's GETs are counted on its own key anyway, and two encodes at once on two cores only slow both.
  for (const name of ['interleaved', 'nonInterleaved'] as const) {
    const video = await submitVideo(harness, { source: files[name], subtitles });
    const final = await finalStatus(harness, video, 90_000);
    const output = join(harness.workDir, `${name}-out.mp4`);
    if (final.playback_url) await writeFile(output, Buffer.from(await (await fetch(final.playback_url)).arrayBuffer()));
    jobs[name] = { video, final, output };
  }
}, 180_000);

afterAll(async () => {
  await harness?.stop();
});

describe('a non-interleaved MP4', () => {
  it('is what it claims: its audio is stored megabytes after its video (its twin: next to it)', () => {
    expect(firstPacketGap(files.nonInterleaved)).toBeGreaterThan(2 * FAR_APART_BYTES);
    expect(firstPacketGap(files.interleaved)).toBeLessThan(64 * 1024);
  });

  it('costs hundreds of GETs when ffmpeg reads it through a presigned URL', async () => {
    const key = 'probe/non-interleaved.mp4';
    await harness.s3.send(new PutObjectCommand({ Bucket: harness.cloud.bucket, Key: key, Body: await readFile(files.nonInterleaved) }));
    const url = await getSignedUrl(harness.s3, new GetObjectCommand({ Bucket: harness.cloud.bucket, Key: key }), { expiresIn: 600 });
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', url, '-c', 'copy', '-f', 'null', '-']);
    expect(getsOf(key).length).toBeGreaterThan(100);
  });

  it('is saved from a handful of GETs of its source, like its interleaved twin', () => {
    expect(jobs.nonInterleaved.final.status).toBe('saved');
    expect(jobs.interleaved.final.status).toBe('saved');
    expect(getsOf(jobs.nonInterleaved.video.sourceKey).length).toBeLessThanOrEqual(8);
    expect(getsOf(jobs.interleaved.video.sourceKey).length).toBeLessThanOrEqual(8);
  });

  it('comes out as its interleaved twin does: the same duration and every frame', () => {
    const [twin, output] = [videoOf(jobs.interleaved.output), videoOf(jobs.nonInterleaved.output)];
    expect(Number(output.duration)).toBeCloseTo(Number(twin.duration), 2);
    expect(decodedFrames(jobs.nonInterleaved.output)).toBe(decodedFrames(jobs.interleaved.output));
    expect(decodedFrames(jobs.nonInterleaved.output)).toBe(250);
  });
});
