import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage } from '../support/browser.ts';
import { startHarness, type Harness } from '../support/workflow-harness.ts';

/** The page's list: one status at a time, newest first, ten a page, more with the API's cursor. */
describe('the list of videos on the page', () => {
  let harness: Harness;
  let browser: Browser;
  /** Oldest first: videos that wait for an upload, made through the API (nothing to encode). */
  const created: string[] = [];

  beforeAll(async () => {
    [harness, browser] = await Promise.all([startHarness(), launchChromium()]);
    for (let index = 1; index <= 12; index++) {
      const { video } = await harness.api.createVideo({
        filename: `waiting-${String(index).padStart(2, '0')}.mp4`,
        content_type: 'video/mp4',
        size: 1000,
        subtitles: { source: 'upload' },
      });
      created.push(video.id);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
  });

  it('lists the videos of the chosen status newest first, and the next page on request', async () => {
    const { page, context, pageErrors } = await openPage(browser, `${harness.cloud.gatewayUrl}/`);
    const listed = () => page.locator('#video-list li[data-video-id]').evaluateAll((items) => items.map((item) => item.getAttribute('data-video-id')));

    await page.getByLabel('Status', { exact: true }).selectOption('awaiting_upload');
    await page.locator('#video-list li[data-video-id]').nth(9).waitFor();
    expect(await listed()).toEqual(created.slice(2).reverse());

    await page.getByRole('button', { name: 'Load more' }).click();
    await page.locator('#video-list li[data-video-id]').nth(11).waitFor();
    expect(await listed()).toEqual([...created].reverse());
    await page.getByRole('button', { name: 'Load more' }).waitFor({ state: 'hidden' });

    await page.getByLabel('Status', { exact: true }).selectOption('saved');
    await page.locator('#video-list li', { hasText: 'No saved videos.' }).waitFor();
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  it('asks once for the API key a deployment requires, keeps it for the tab, and sends it with every call', async () => {
    const keys: (string | undefined)[] = [];
    const { page, context } = await openPage(browser, `${harness.cloud.gatewayUrl}/`, {
      async beforeLoad(context) {
        await context.route('**/site-config.json', (route) =>
          route.fulfill({ json: { apiBase: '/api', trace: { kind: 'local', executionsUrl: '/_local/executions/' }, apiKeyRequired: true } }),
        );
        context.on('request', (request) => {
          if (new URL(request.url()).pathname.startsWith('/api/')) keys.push(request.headers()['x-api-key']);
        });
      },
    });
    expect(keys).toEqual([]); // nothing asked of the API before the key is given

    await page.getByLabel('This deployment needs an API key (kept in this tab only)').fill('key-of-the-test');
    await page.getByRole('button', { name: 'Use this key' }).click();
    const listed = page.waitForRequest((request) => request.url().includes('/api/videos?status=awaiting_upload'));
    await page.getByLabel('Status', { exact: true }).selectOption('awaiting_upload');
    await listed;
    await page.reload();
    await page.locator('body[data-ready="true"]').waitFor();
    const afterReload = page.waitForRequest((request) => request.url().includes('/api/videos?status=saved'));
    await page.getByRole('button', { name: 'Refresh' }).click();
    await afterReload;

    expect(await page.locator('#api-key-section').isHidden()).toBe(true);
    expect(keys.length).toBeGreaterThanOrEqual(3);
    expect(new Set(keys)).toEqual(new Set(['key-of-the-test']));
    await context.close();
  });

  it('asks for the key again, saying so, when the API refuses it, and goes on with the new one', async () => {
    const { page, context } = await openPage(browser, `${harness.cloud.gatewayUrl}/`, {
      async beforeLoad(context) {
        await context.route('**/site-config.json', (route) =>
          route.fulfill({ json: { apiBase: '/api', trace: { kind: 'local', executionsUrl: '/_local/executions/' }, apiKeyRequired: true } }),
        );
        // API Gateway's answer to a wrong key; the right one reaches the local API.
        await context.route('**/api/**', (route) =>
          route.request().headers()['x-api-key'] === 'the-right-key'
            ? route.continue()
            : route.fulfill({ status: 403, json: { error: { code: 'forbidden', message: 'Forbidden' }, request_id: 'r-1' } }),
        );
      },
    });
    const keyField = page.getByLabel('This deployment needs an API key (kept in this tab only)');

    await keyField.fill('a-wrong-key');
    await page.getByRole('button', { name: 'Use this key' }).click();
    await page.getByText('The API refused that key. Enter it again.').waitFor();
    expect(await keyField.inputValue()).toBe('');
    const listed = page.waitForResponse((response) => response.url().includes('/api/videos?status=saved') && response.status() === 200);
    await keyField.fill('the-right-key');
    await page.getByRole('button', { name: 'Use this key' }).click();
    await listed;

    expect(await page.locator('#api-key-section').isHidden()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('vidp.api-key'))).toBe('the-right-key');
    await context.close();
  });
});
