import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { repoPath } from '../../infra/shared/repository.ts';

/**
 * What the browser tests share: Debian's headless Chromium driven by playwright-core, a page per test with
 * its screenshots kept under .build/browser-artifacts/, and a record of what the page sent to S3.
 */
export const ARTIFACTS_DIR = repoPath('.build', 'browser-artifacts');

export const PHONE_VIEWPORT = { width: 375, height: 740 } as const;
export const DESKTOP_VIEWPORT = { width: 1100, height: 900 } as const;

const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The browser tests need Debian's Chromium at ${CHROMIUM}: sudo apt-get install -y --no-install-recommends chromium (.ci/run installs it)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions of the page: a test ends by expecting none. */
  pageErrors: string[];
  screenshot(name: string): Promise<string>;
}

export async function openPage(
  browser: Browser,
  url: string,
  options: {
    viewport?: { width: number; height: number };
    /** Runs before the page loads: routes that stand in for how it is served (site-config.json on AWS). */
    beforeLoad?: (context: BrowserContext) => Promise<unknown>;
  } = {},
): Promise<OpenedPage> {
  // bypassCSP: the axe-core scan injects its source as an inline script, which the page's CSP forbids.
  const context = await browser.newContext({ viewport: options.viewport ?? DESKTOP_VIEWPORT, bypassCSP: true });
  await options.beforeLoad?.(context);
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`${message.text()} (${message.location().url})`);
  });
  await page.goto(url);
  await page.locator('body[data-ready="true"]').waitFor();
  return {
    context,
    page,
    pageErrors,
    async screenshot(name) {
      await mkdir(ARTIFACTS_DIR, { recursive: true });
      const path = join(ARTIFACTS_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
  };
}

export interface S3Request {
  method: string;
  /** The part number of a multipart PUT. */
  partNumber?: number;
  range?: string;
  status?: number;
}

/** Every request the page makes to the local S3, with its answer's status once it has one. */
export function recordS3Requests(context: BrowserContext, s3Endpoint: string): S3Request[] {
  const requests: S3Request[] = [];
  const byRequest = new Map<Request, S3Request>();
  context.on('request', (request) => {
    if (!request.url().startsWith(s3Endpoint)) return;
    const partNumber = new URL(request.url()).searchParams.get('partNumber');
    const range = request.headers().range;
    const entry: S3Request = { method: request.method(), ...(partNumber === null ? {} : { partNumber: Number(partNumber) }), ...(range === undefined ? {} : { range }) };
    requests.push(entry);
    byRequest.set(request, entry);
  });
  context.on('response', (response) => {
    const entry = byRequest.get(response.request());
    if (entry !== undefined) entry.status = response.status();
  });
  return requests;
}

/** axe-core's findings of impact serious or critical on the page as it is now. */
export async function seriousAxeViolations(page: Page): Promise<{ id: string; impact: string; help: string; targets: string[] }[]> {
  const source = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.addScriptTag({ content: source });
  const violations = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations)')) as {
    id: string;
    impact: string | null;
    help: string;
    nodes: { target: string[] }[];
  }[];
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({ id: violation.id, impact: violation.impact!, help: violation.help, targets: violation.nodes.flatMap((node) => node.target) }));
}

/** Whether the page is wider than its viewport (a phone would scroll sideways). */
export function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate('document.documentElement.scrollWidth > document.documentElement.clientWidth') as Promise<boolean>;
}
