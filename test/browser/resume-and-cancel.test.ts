import { randomBytes } from 'node:crypto';
import type { Browser, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, recordS3Requests } from '../support/browser.ts';
import { startHarness, writeTemp, type Harness } from '../support/workflow-harness.ts';

const MiB = 1024 * 1024;
/** Parts are at least 16 MiB (functions/core/create-upload.ts): two full parts and a small last one. */
const PART_BYTES = 16 * MiB;
const LARGE_FILE_BYTES = 2 * PART_BYTES + MiB;

const isPartPut = (url: URL) => url.searchParams.has('partNumber') && url.searchParams.has('uploadId');
const partNumberOf = (url: string) => Number(new URL(url).searchParams.get('partNumber'));

/**
 * Multipart uploads from the page (the threshold lowered to 1 MiB for this cloud): resumed after a reload
 * without sending the finished parts again, and cancelled. The file is not a video: what happens after the
 * upload is not what these tests look at.
 */
describe('a multipart upload through the page', () => {
  let harness: Harness;
  let browser: Browser;
  let largeFile: string;
  let srt: string;

  beforeAll(async () => {
    [harness, browser] = await Promise.all([
      startHarness({ functionEnv: { MULTIPART_THRESHOLD_BYTES: String(MiB), FFMPEG_PRESET: 'ultrafast' } }),
      launchChromium(),
    ]);
    largeFile = await writeTemp(harness, 'large.mp4', randomBytes(LARGE_FILE_BYTES));
    srt = await writeTemp(harness, 'large.srt', '1\n00:00:00,000 --> 00:00:01,000\nHello\n');
  });

  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
  });

  it('retries a part S3 refuses once, and resumes after a page reload sending only the part that had not reached S3', async () => {
    const opened = await openPage(browser, `${harness.cloud.gatewayUrl}/`);
    const { page, context } = opened;
    const s3Requests = recordS3Requests(context, harness.cloud.s3Endpoint);
    // The last part is held on its way until the page has been reloaded; parts 1 and 2 reach S3.
    const held: Route[] = [];
    let reloaded = false;
    await context.route(isPartPut, (route) => {
      if (!reloaded && partNumberOf(route.request().url()) === 3) return void held.push(route);
      return route.continue();
    });
    const firstTwoStored = Promise.all(
      [1, 2].map((partNumber) =>
        page.waitForResponse((response) => response.request().method() === 'PUT' && partNumberOf(response.url()) === partNumber && response.ok(), {
          timeout: 60_000,
        }),
      ),
    );

    // The first part to reach S3 (1 or 2) is answered 503 SlowDown, as S3 sometimes does: the page sends it again.
    harness.cloud.injectS3Fault({ method: 'PUT', key: /^uploads\/.*\/source\.mp4$/, status: 503, times: 1 });

    await page.getByLabel('Video file').setInputFiles(largeFile);
    await page.getByLabel('Subtitles file (SRT or VTT)').setInputFiles(srt);
    await page.getByRole('button', { name: 'Upload' }).click();
    await firstTwoStored;
    // Two parts of 16 MiB in S3 out of 33 MiB: at least 96 %, and never 100 % while the last part is unconfirmed.
    await page.waitForFunction(() => (document.getElementById('upload-bar') as HTMLProgressElement).value >= 96);
    expect(await page.locator('#upload-bar').evaluate((bar) => (bar as HTMLProgressElement).value)).toBeLessThan(100);
    const [pending] = (await page.evaluate('JSON.parse(localStorage.getItem("vidp.pending-uploads.v1"))')) as { videoId: string }[];

    reloaded = true;
    await page.reload();
    await page.locator('body[data-ready="true"]').waitFor();
    await page.locator('#resume-notice', { hasText: 'Choose the same file again to resume it' }).waitFor();
    await page.getByLabel('Video file').setInputFiles(largeFile);
    await page.getByRole('button', { name: 'Resume upload' }).click();
    await page.locator('#upload-figures', { hasText: `Uploaded ${largeFile.split('/').pop()}` }).waitFor({ timeout: 60_000 });
    await opened.screenshot('resumed-upload');

    const putsPerPart = (partNumber: number) => s3Requests.filter((request) => request.method === 'PUT' && request.partNumber === partNumber);
    // Parts 1 and 2: one sent once, the other twice (the 503, then the retry); neither sent after the reload.
    const statuses = [putsPerPart(1), putsPerPart(2)].map((puts) => puts.map((request) => request.status));
    expect(statuses.sort((a, b) => a.length - b.length)).toEqual([[200], [503, 200]]);
    // The held one (cancelled by the reload, never answered), then the one sent after the resume.
    expect(putsPerPart(3).map((request) => request.status)).toEqual([undefined, 200]);
    expect((await harness.api.getVideo(pending!.videoId)).status).not.toBe('awaiting_upload');
    expect(await page.evaluate('localStorage.getItem("vidp.pending-uploads.v1")')).toBe('[]');
    await Promise.all(held.map((route) => route.abort().catch(() => undefined)));
    await context.close();
  });

  it('cancels: the multipart upload is aborted and the video ends as upload_aborted', async () => {
    const opened = await openPage(browser, `${harness.cloud.gatewayUrl}/`);
    const { page, context } = opened;
    // Every part waits, so the upload is surely unfinished when Cancel is pressed.
    const held: Route[] = [];
    let firstHeld: () => void = () => undefined;
    const aPartIsOnItsWay = new Promise<void>((resolve) => (firstHeld = resolve));
    await context.route(isPartPut, (route) => {
      held.push(route);
      firstHeld();
    });
    const aborted = page.waitForResponse((response) => response.request().method() === 'DELETE' && response.url().endsWith('/upload'));

    await page.getByLabel('Video file').setInputFiles(largeFile);
    await page.getByLabel('Subtitles file (SRT or VTT)').setInputFiles(srt);
    await page.getByRole('button', { name: 'Upload' }).click();
    await aPartIsOnItsWay;
    const [pending] = (await page.evaluate('JSON.parse(localStorage.getItem("vidp.pending-uploads.v1"))')) as { videoId: string }[];
    await page.getByRole('button', { name: 'Cancel upload' }).click();

    expect((await aborted).status()).toBe(204);
    await page.locator('#upload-figures', { hasText: 'Upload cancelled.' }).waitFor();
    const video = await harness.api.getVideo(pending!.videoId);
    expect(video.status).toBe('failed');
    expect(video.error?.code).toBe('upload_aborted');
    expect(await page.evaluate('localStorage.getItem("vidp.pending-uploads.v1")')).toBe('[]');
    await Promise.all(held.map((route) => route.abort().catch(() => undefined)));
    await context.close();
  });
});
