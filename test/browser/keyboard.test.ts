import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage } from '../support/browser.ts';
import { ONE_CUE_SRT, sampleClip, startHarness, type Harness } from '../support/workflow-harness.ts';

interface Focused {
  id: string;
  tag: string;
  /** Whether the focus is drawn: an outline of some width, as styles.css gives :focus-visible. */
  outlined: boolean;
}

function focused(page: Page): Promise<Focused> {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLElement;
    const style = getComputedStyle(element);
    return { id: element.id, tag: element.tagName.toLowerCase(), outlined: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 };
  });
}

/** Presses Tab until the element with `id` has the focus; every stop on the way must show it has the focus. */
async function tabTo(page: Page, id: string, maxStops = 30): Promise<Focused[]> {
  const stops: Focused[] = [];
  for (let stop = 0; stop < maxStops; stop++) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    stops.push(now);
    if (now.id === id) return stops;
  }
  throw new Error(`#${id} was not reached in ${maxStops} Tab presses: ${stops.map((s) => s.id || s.tag).join(' → ')}`);
}

/**
 * The whole job done with the keyboard alone: choose the file, switch the subtitles to a subtitle-service URL,
 * set the options, upload, then open the video from the list.
 */
describe('the page with the keyboard only', () => {
  let harness: Harness;
  let browser: Browser;
  /** The subtitle service: a private address, allowed by SUBTITLE_ALLOWED_HOSTS as a deployment would. */
  let subtitleService: Server;
  const served: string[] = [];

  beforeAll(async () => {
    subtitleService = createServer((request, response) => {
      served.push(request.url ?? '');
      response.writeHead(200, { 'Content-Type': 'application/x-subrip' }).end(ONE_CUE_SRT);
    });
    await new Promise<void>((resolve) => subtitleService.listen(0, '127.0.0.1', resolve));
    const { port } = subtitleService.address() as AddressInfo;
    [harness, browser] = await Promise.all([
      startHarness({ functionEnv: { FFMPEG_PRESET: 'ultrafast', SUBTITLE_ALLOWED_HOSTS: `127.0.0.1:${port}` } }),
      launchChromium(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
    await new Promise((resolve) => subtitleService?.close(resolve));
  });

  it('uploads a clip with subtitles from a URL, follows it to saved and reopens it from the list, every focus stop visible', async () => {
    const clip = await sampleClip(harness, 'keys.mp4', { seconds: 1, width: 320, height: 180 });
    const subtitlesUrl = `http://127.0.0.1:${(subtitleService.address() as AddressInfo).port}/subtitles/keys.srt`;
    const { page, pageErrors } = await openPage(browser, `${harness.cloud.gatewayUrl}/`);
    // Playwright turns on file-chooser interception when something first listens for it, asynchronously: a key
    // pressed right after waitForEvent('filechooser') could open a real dialog first (measured: 1 run in 8).
    page.on('filechooser', () => {});
    const stops: Focused[] = [];

    stops.push(...(await tabTo(page, 'video-file')));
    const videoChooser = page.waitForEvent('filechooser');
    await page.keyboard.press('Space');
    await (await videoChooser).setFiles(clip);
    stops.push(...(await tabTo(page, 'subtitles-from-file')));
    await page.keyboard.press('ArrowDown'); // the radio group: "From a subtitle-service URL"
    stops.push(...(await tabTo(page, 'subtitles-url')));
    await page.keyboard.type(subtitlesUrl);
    stops.push(...(await tabTo(page, 'resolution')));
    await page.keyboard.type('360');
    stops.push(...(await tabTo(page, 'crf')));
    await page.keyboard.press('Control+A');
    await page.keyboard.type('32');
    stops.push(...(await tabTo(page, 'upload-button')));
    await page.keyboard.press('Enter');
    await page.locator('#video-status .badge.saved').waitFor({ timeout: 90_000 });

    const video = await harness.api.getVideo(decodeURIComponent(page.url().split('#video=')[1]!));
    expect(video).toMatchObject({ filename: 'keys.mp4', target_resolution: '360p', crf: 32, status: 'saved', subtitles: { source: 'url', url: subtitlesUrl } });
    expect(served).toEqual(['/subtitles/keys.srt']);

    // From the top of the page to the list, and the video opened from it: the focus lands on its heading.
    await page.locator(`#video-list li[data-video-id="${video.id}"]`).waitFor();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    stops.push(...(await tabTo(page, 'list-status', 60)));
    await page.keyboard.press('Tab'); // Refresh
    await page.keyboard.press('Tab'); // the first video's Open
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Open keys.mp4');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.id === 'video-heading');

    expect(stops.filter((stop) => !stop.outlined)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
