import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, PHONE_VIEWPORT, scrollsSideways, seriousAxeViolations } from '../support/browser.ts';
import { finalStatus, ONE_CUE_SRT, startHarness, submitVideo, writeTemp, type Harness } from '../support/workflow-harness.ts';

/**
 * A job that fails, as the page shows it (the reason, a retry), and the page's accessibility and phone layout
 * with that video, its trace and the list on screen: the busiest the page gets.
 */
describe('a failed job on the page', () => {
  let harness: Harness;
  let browser: Browser;
  /** A job that failed (submitted through the API): what the layout and accessibility checks show. */
  let failedId: string;

  beforeAll(async () => {
    [harness, browser] = await Promise.all([startHarness({ functionEnv: { FFMPEG_PRESET: 'ultrafast' } }), launchChromium()]);
    const submitted = await submitVideo(harness, {
      source: await writeTemp(harness, 'broken.mp4', randomBytes(32 * 1024)),
      subtitles: await writeTemp(harness, 'broken.srt', ONE_CUE_SRT),
    });
    expect((await finalStatus(harness, submitted)).status).toBe('failed');
    failedId = submitted.id;
  });

  /** The page showing the failed job, its ended trace and the list of failed videos. */
  async function openFailedVideo(viewport?: { width: number; height: number }) {
    const opened = await openPage(browser, `${harness.cloud.gatewayUrl}/#video=${failedId}`, viewport === undefined ? {} : { viewport });
    await opened.page.locator('#trace-body tr[data-state="MarkFailed"]').waitFor();
    await opened.page.getByLabel('Status', { exact: true }).selectOption('failed');
    await opened.page.locator(`#video-list li[data-video-id="${failedId}"]`).waitFor();
    return opened;
  }

  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
  });

  it('shows the readable reason of a failed job, and retries it on request', async () => {
    const notAVideo = await writeTemp(harness, 'notes.mp4', randomBytes(64 * 1024));
    const srt = await writeTemp(harness, 'notes.srt', ONE_CUE_SRT);
    const opened = await openPage(browser, `${harness.cloud.gatewayUrl}/`);
    const { page } = opened;

    await page.getByLabel('Video file').setInputFiles(notAVideo);
    await page.getByLabel('Subtitles file (SRT or VTT)').setInputFiles(srt);
    await page.getByRole('button', { name: 'Upload' }).click();
    const reason = page.locator('#video-status [role="alert"]');
    await reason.waitFor({ timeout: 60_000 });
    const videoId = decodeURIComponent(page.url().split('#video=')[1]!);
    const stored = await harness.api.getVideo(videoId);

    expect(stored.status).toBe('failed');
    expect(await reason.textContent()).toBe(`Failed: ${stored.error!.message}`);
    expect(await page.locator('#video-status').textContent()).toContain(`Error code: ${stored.error!.code}`);
    await page.locator('#trace-body tr[data-state="MarkFailed"]').waitFor();
    await opened.screenshot('failed-video');

    const firstExecution = await page.locator('#trace-body p').first().textContent();
    const retried = page.waitForResponse((response) => response.url().endsWith(`/videos/${videoId}/retry`));
    await page.getByRole('button', { name: 'Retry' }).click();
    expect((await retried).ok()).toBe(true);
    // The same file fails the same way again: a second execution, ended, and the reason shown once more.
    await page.waitForFunction(
      (first) => {
        const execution = document.querySelector('#trace-body p')?.textContent ?? '';
        return execution !== '' && execution !== first && !execution.includes(': Running') && document.querySelector('#video-status [role="alert"]') !== null;
      },
      firstExecution,
      { timeout: 60_000 },
    );
    const afterRetry = await harness.api.getVideo(videoId);
    expect(afterRetry.timeline!.filter((entry) => entry.status === 'processing')).toHaveLength(2);
    expect(opened.pageErrors).toEqual([]);
    await opened.context.close();
  });

  it('shows an API refusal as its message, not as a raw body', async () => {
    const opened = await openPage(browser, `${harness.cloud.gatewayUrl}/`);
    const { page } = opened;
    const wrongType = await writeTemp(harness, 'slides.pdf', randomBytes(1024));

    await page.getByLabel('Video file').setInputFiles(wrongType);
    await page.getByLabel('Subtitles file (SRT or VTT)').setInputFiles(await writeTemp(harness, 'slides.srt', ONE_CUE_SRT));
    const refused = page.waitForResponse((response) => response.request().method() === 'POST' && response.url().endsWith('/api/videos'));
    await page.getByRole('button', { name: 'Upload' }).click();
    const error = page.locator('#form-error');
    await error.waitFor();
    const answer = await refused;

    expect(answer.status()).toBe(415);
    expect(await error.textContent()).toBe(((await answer.json()) as { error: { message: string } }).error.message);
    await opened.context.close();
  });

  it('links the execution to the Step Functions console when the page is served as on AWS', async () => {
    const stateMachineArn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:vidp-dev-pipeline';
    const { page, context } = await openPage(browser, `${harness.cloud.gatewayUrl}/#video=${failedId}`, {
      beforeLoad: (context) =>
        context.route('**/site-config.json', (route) =>
          route.fulfill({ json: { apiBase: '/api', trace: { kind: 'console', region: 'eu-west-1', stateMachineArn } } }),
        ),
    });
    const link = page.getByRole('link', { name: 'Open this execution in the Step Functions console' });
    await link.waitFor();
    const { execution_id: executionId } = await harness.api.getVideo(failedId);

    expect(await link.getAttribute('href')).toBe(
      `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${executionId}`,
    );
    await context.close();
  });

  it('has no serious or critical axe-core findings with a failed video, its trace and the list shown', async () => {
    const opened = await openFailedVideo();

    expect(await seriousAxeViolations(opened.page)).toEqual([]);
    await opened.context.close();
  });

  it('fits a 375 px phone screen without scrolling sideways', async () => {
    const opened = await openFailedVideo(PHONE_VIEWPORT);
    await opened.screenshot('phone');

    expect(await scrollsSideways(opened.page)).toBe(false);
    await opened.context.close();
  });
});
