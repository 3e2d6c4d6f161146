import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ADMIN_CREDENTIALS, LOCAL_REGION } from '../../infra/local/local-resources.ts';
import { expectCleanEnd, finalStatus, ONE_CUE_SRT, sampleClip, startHarness, submitVideo, writeTemp, type Harness } from '../support/workflow-harness.ts';

/**
 * The subtitle options of a create request (`missing_glyphs`, `subtitle_language`) reach the worker through
 * the real state machine, and records made before the options existed still run, with the defaults.
 */
let harness: Harness;
let dynamodb: DynamoDBClient;
let clip: string;

beforeAll(async () => {
  harness = await startHarness();
  dynamodb = new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_ADMIN_CREDENTIALS, endpoint: harness.cloud.dynamodbEndpoint });
  clip = await sampleClip(harness, 'clip.mp4');
});

afterAll(async () => {
  dynamodb.destroy();
  await harness.stop();
});

describe('subtitle options of a create request', () => {
  it('missing_glyphs "fail" ends the job as missing_glyphs, naming the characters, with nothing saved', async () => {
    // U+F0041 is in Supplementary Private Use Area-A: no Debian font draws it.
    const subtitles = await writeTemp(harness, 'private-use.srt', '1\n00:00:00,200 --> 00:00:01,500\nA box: \u{F0041}\n');
    const video = await submitVideo(harness, { source: clip, subtitles, request: { missing_glyphs: 'fail' } });

    const final = await finalStatus(harness, video);

    await expectCleanEnd(harness, video, final, { status: 'failed', code: 'missing_glyphs' });
    expect(final.error?.message).toMatch(/U\+F0041/);
  });

  it('by default the same subtitles are burned anyway, with the warning on the record', async () => {
    const subtitles = await writeTemp(harness, 'private-use-warn.srt', '1\n00:00:00,200 --> 00:00:01,500\nA box: \u{F0041}\n');
    const video = await submitVideo(harness, { source: clip, subtitles });

    const final = await finalStatus(harness, video);

    await expectCleanEnd(harness, video, final, { status: 'saved' });
    expect(final.warnings?.some((warning) => /^1 subtitle character \(1 in all\) has no glyph .* in 1 cue: #1 at 00:00:00\.200 "A box/.test(warning))).toBe(true);
  });

  it('a subtitle_language is stored canonical and the job runs with it', async () => {
    const subtitles = await writeTemp(harness, 'hant.srt', '1\n00:00:00,200 --> 00:00:01,500\n請問車站在哪裡\n');
    const video = await submitVideo(harness, { source: clip, subtitles, request: { subtitle_language: 'zh-hant-tw' } });

    const final = await finalStatus(harness, video);

    await expectCleanEnd(harness, video, final, { status: 'saved' });
    expect(final).toMatchObject({ subtitle_language: 'zh-Hant-TW', missing_glyphs: 'warn' });
  });

  it('a record made before the options existed is claimed with their defaults and saved', async () => {
    const subtitles = await writeTemp(harness, 'old.srt', ONE_CUE_SRT);
    const video = await submitVideo(harness, {
      source: clip,
      subtitles,
      beforeUpload: async (id) => {
        await dynamodb.send(new UpdateItemCommand({
          TableName: harness.cloud.table,
          Key: { id: { S: id } },
          UpdateExpression: 'REMOVE missing_glyphs, subtitle_language',
        }));
      },
    });

    const final = await finalStatus(harness, video);

    await expectCleanEnd(harness, video, final, { status: 'saved' });
    expect(final).toMatchObject({ missing_glyphs: 'warn', subtitle_language: 'und' });
  });
});
