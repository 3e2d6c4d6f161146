import { copyFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoPath } from '../../infra/shared/repository.ts';
import { launchChromium, openPage, recordS3Requests, type OpenedPage } from '../support/browser.ts';
import { ONE_CUE_SRT, sampleClip, startHarness, writeTemp, type Harness } from '../support/workflow-harness.ts';

/** The page's first promise: pick a clip and its SRT, watch it upload and process, play it and seek in it. */
describe('uploading a clip through the page', () => {
  let harness: Harness;
  let browser: Browser;
  let opened: OpenedPage;
  let clip: string;
  let srt: string;
  let s3Requests: ReturnType<typeof recordS3Requests>;

  beforeAll(async () => {
    [harness, browser] = await Promise.all([startHarness({ functionEnv: { FFMPEG_PRESET: 'ultrafast' } }), launchChromium()]);
    clip = await sampleClip(harness, 'holiday.mp4', { seconds: 2, width: 320, height: 180 });
    srt = await writeTemp(harness, 'holiday.srt', ONE_CUE_SRT);
    opened = await openPage(browser, `${harness.cloud.gatewayUrl}/`);
    s3Requests = recordS3Requests(opened.context, harness.cloud.s3Endpoint);
  });

  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
  });

  it('uploads the clip and its SRT straight to S3, shows it reach saved with its trace, then plays it and seeks in it', async () => {
    const { page } = opened;
    await page.getByLabel('Video file').setInputFiles(clip);
    await page.getByLabel('Subtitles file (SRT or VTT)').setInputFiles(srt);
    await page.getByLabel('Resolution').selectOption('360p');
    await page.getByLabel('Quality (CRF)').fill('30');
    await page.getByRole('button', { name: 'Upload' }).click();

    await page.waitForFunction(() => (document.getElementById('upload-bar') as HTMLProgressElement).value === 100);
    await page.locator('#upload-figures', { hasText: 'Uploaded holiday.mp4. Processing starts now.' }).waitFor();
    // Two presigned POSTs: the subtitles, then the video.
    expect(s3Requests.filter((request) => request.method === 'POST').map((request) => request.status)).toEqual([204, 204]);

    // The job, live: saved, with every state of its execution.
    await page.locator('#video-status .badge.saved').waitFor({ timeout: 90_000 });
    await page.locator('#trace-body tr[data-state="VideoSaved"]').waitFor();

    const rows = await page.locator('#trace-body tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.children].map((cell) => cell.textContent)),
    );
    expect(rows.map(([state]) => state)).toEqual(expect.arrayContaining(['ClaimJob', 'PrepareSubtitles', 'Transcode', 'RecordResult']));
    for (const [state, status, duration] of rows) {
      expect({ state, status }).toEqual({ state, status: 'Succeeded' });
      expect(duration).toMatch(/^\d+(\.\d+)? m?s$/);
    }
    expect(await page.getByRole('link', { name: 'Subtitles as WebVTT' }).getAttribute('href')).toContain('subtitles.vtt');
    expect(await page.getByRole('link', { name: 'Download the MP4' }).getAttribute('href')).toContain('video.mp4');
    await opened.screenshot('saved-video');

    // The player: currentTime advances, and a seek lands where asked, through a Range request to S3.
    const video = page.locator('#video-player video');
    await video.waitFor();
    // Muted, a video may play without a user gesture.
    await video.evaluate(async (element) => {
      const media = element as HTMLVideoElement;
      media.muted = true;
      await media.play();
    });
    await page.waitForFunction(() => (document.querySelector('#video-player video') as HTMLVideoElement).currentTime > 0.3);

    const landed = await video.evaluate(
      (element) =>
        new Promise<number>((resolve) => {
          const media = element as HTMLVideoElement;
          media.pause();
          media.addEventListener('seeked', () => resolve(media.currentTime), { once: true });
          media.currentTime = 1.0; // inside the cue (0.2–1.5 s): the README's screenshot shows the subtitles
        }),
    );

    expect(landed).toBeCloseTo(1.0, 1);
    expect(s3Requests.some((request) => request.method === 'GET' && request.range !== undefined && request.status === 206)).toBe(true);
    expect(opened.pageErrors).toEqual([]);
    if (process.env.UPDATE_SCREENSHOT === '1') await copyFile(await opened.screenshot('readme'), repoPath('web', 'screenshot.png'));
  });
});
