import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadWithPresignedPost } from '../../infra/dev-kit/api-client.ts';
import {
  expectCleanEnd,
  finalStatus,
  objectExists,
  ONE_CUE_SRT,
  sampleClip,
  startHarness,
  submitVideo,
  transcodeAttempts,
  writeTemp,
  type Harness,
} from '../support/workflow-harness.ts';

/**
 * Bad media and awkward subtitles, through the real state machine, handlers and worker: each ends with a
 * clear status, the source kept, temp/ empty, and no second output, record or transcode.
 */
const run = promisify(execFile);
let harness: Harness;
const files: Record<string, string> = {};

beforeAll(async () => {
  harness = await startHarness();
  const clip = await sampleClip(harness, 'clip.mp4');
  files.clip = clip;
  files.subtitles = await writeTemp(harness, 'one.srt', ONE_CUE_SRT);
  const bytes = await readFile(clip);
  // makeSampleClip writes fast-start MP4s (index first): half the file still announces the whole duration.
  files.truncated = await writeTemp(harness, 'truncated.mp4', bytes.subarray(0, Math.floor(bytes.length / 2)));
  const indexLast = join(harness.workDir, 'index-last.mp4');
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', clip, '-c', 'copy', indexLast]);
  const indexLastBytes = await readFile(indexLast);
  files.cutBeforeIndex = await writeTemp(harness, 'cut.mp4', indexLastBytes.subarray(0, Math.floor(indexLastBytes.length / 2)));
  files.audioOnly = join(harness.workDir, 'audio-only.mp4');
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', files.audioOnly]);
});

afterAll(async () => {
  await harness?.stop();
});

async function objectText(key: string): Promise<string> {
  const { Body } = await harness.s3.send(new GetObjectCommand({ Bucket: harness.cloud.bucket, Key: key }));
  return Body!.transformToString('utf-8');
}

describe.concurrent('an empty file never reaches the bucket through its presigned POST', () => {
  it.each([['the video'], ['the subtitles']])('%s: S3 answers 400 EntityTooSmall (the policy\'s content-length-range starts at 1)', async (which) => {
    const created = await harness.api.createVideo({
      filename: 'empty.mp4',
      content_type: 'video/mp4',
      size: 1,
      subtitles: { source: 'upload' },
    });
    const upload = which === 'the video' ? created.upload : created.subtitles_upload!;
    if (upload.method !== 'POST') throw new Error('expected a presigned POST');

    const attempt = uploadWithPresignedPost(upload, await writeTemp(harness, 'empty', ''));

    await expect(attempt).rejects.toThrow(/failed: 400 .*<Code>EntityTooSmall<\/Code>.*<ProposedSize>0<\/ProposedSize>/s);
    expect(await objectExists(harness, upload.fields.key!)).toBe(false);
  });
});

describe.concurrent('media that is not a usable video ends failed with input_invalid, without retries', () => {
  it.each([
    ['a text file named .mp4', async () => writeTemp(harness, 'fake.mp4', 'This is a text file, not a video.\n'), /could not be read as a video/],
    // Stored with PutObject: S3 refuses it at the POST (above), but another writer can still store one.
    ['a 0-byte file', async () => writeTemp(harness, 'empty.mp4', ''), /^The uploaded file is empty \(0 bytes\)$/, ['source'] as const],
    ['a truncated MP4 (its index promises more than it holds)', async () => files.truncated!, /damaged or truncated: it could not be decoded past 0:0\d of 0:02/],
    ['an MP4 cut before its index', async () => files.cutBeforeIndex!, /could not be read as a video/],
    ['a file with sound but no picture', async () => files.audioOnly!, /no video stream/],
  ])('%s', async (_name, makeSource, reason, putObject?: readonly 'source'[]) => {
    const video = await submitVideo(harness, { source: await makeSource(), subtitles: files.subtitles!, putObject });

    const final = await finalStatus(harness, video);

    const executions = await expectCleanEnd(harness, video, final, { status: 'failed', code: 'input_invalid' });
    expect(final.error?.message).toMatch(reason);
    expect(transcodeAttempts(executions)).toBe(1);
  });
});

describe.concurrent('subtitles that cannot be burned in end failed with subtitles_invalid, before any transcode', () => {
  it.each([
    // Stored with PutObject, as the 0-byte video above.
    ['an empty SRT', '', /empty/, ['subtitles'] as const],
    ['a binary file named .srt', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]), /binary/],
    ['an SRT with a broken timestamp', '1\n00:00:00,200 --> 00:00:0x,500\nHi\n', /line 2: malformed timestamp/],
  ])('%s', async (_name, content, reason, putObject?: readonly 'subtitles'[]) => {
    const video = await submitVideo(harness, { source: files.clip!, subtitles: await writeTemp(harness, 'bad.srt', content), putObject });

    const final = await finalStatus(harness, video);

    const executions = await expectCleanEnd(harness, video, final, { status: 'failed', code: 'subtitles_invalid' });
    expect(final.error?.message).toMatch(reason);
    expect(transcodeAttempts(executions)).toBe(0);
  });
});

describe.concurrent('subtitles in the formats people actually have are saved, as UTF-8 SRT and WebVTT sidecars', () => {
  it('a Latin-1 (Windows-1252) SRT with CRLF line ends', async () => {
    const latin1 = Buffer.from('1\r\n00:00:00,200 --> 00:00:01,500\r\nCafé à l’hôtel, ça va?\r\n'.replace('’', "'"), 'latin1');
    const video = await submitVideo(harness, { source: files.clip!, subtitles: await writeTemp(harness, 'latin1.srt', latin1) });

    const final = await finalStatus(harness, video);

    await expectCleanEnd(harness, video, final, { status: 'saved' });
    expect(await objectText(`videos/${video.id}/subtitles.srt`)).toBe("1\n00:00:00,200 --> 00:00:01,500\nCafé à l'hôtel, ça va?\n");
  });

  it('a WebVTT file with a header, a note and cue settings: the sidecar keeps the cue\'s placement', async () => {
    const vtt = 'WEBVTT - from the subtitle editor\n\nNOTE made by hand\n\n00:00.200 --> 00:01.500 line:90%\n<v Ana>Olá <i>mundo</i>\n';
    const video = await submitVideo(harness, { source: files.clip!, subtitles: await writeTemp(harness, 'subs.vtt', vtt) });

    const final = await finalStatus(harness, video);

    await expectCleanEnd(harness, video, final, { status: 'saved' });
    expect(await objectText(`videos/${video.id}/subtitles.vtt`)).toBe('WEBVTT\n\n00:00:00.200 --> 00:00:01.500 line:90%\nOlá <i>mundo</i>\n');
    expect(final.subtitle_files?.vtt).toBe(`s3://${harness.cloud.bucket}/videos/${video.id}/subtitles.vtt`);
  });

  it('out-of-order cues and cues past the end of the video: sorted and dropped, with warnings on the record', async () => {
    const srt = '1\n00:00:01,000 --> 00:00:01,800\nsecond\n\n2\n00:00:00,100 --> 00:00:00,900\nfirst\n\n3\n00:00:09,000 --> 00:00:10,000\ntoo late\n';
    const video = await submitVideo(harness, { source: files.clip!, subtitles: await writeTemp(harness, 'late.srt', srt) });

    const final = await finalStatus(harness, video);

    await expectCleanEnd(harness, video, final, { status: 'saved' });
    expect(final.warnings).toEqual([
      'Cues were out of order and have been sorted by start time',
      '1 cue(s) start after the video ends and were dropped',
    ]);
    expect(await objectText(`videos/${video.id}/subtitles.srt`)).toBe(
      '1\n00:00:00,100 --> 00:00:00,900\nfirst\n\n2\n00:00:01,000 --> 00:00:01,800\nsecond\n',
    );
  });
});

it('keeps the reason readable on GET /api/videos/{id}: code, message and when it failed', async () => {
  const video = await submitVideo(harness, { source: await writeTemp(harness, 'fake2.mp4', 'not a video'), subtitles: files.subtitles! });
  const final = await finalStatus(harness, video);
  expect(final.timeline?.map((entry) => entry.status)).toEqual(['awaiting_upload', 'queued', 'processing', 'failed']);
  expect(final.timeline?.at(-1)).toMatchObject({ code: 'input_invalid', execution_id: final.execution_id });
});
