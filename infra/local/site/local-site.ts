import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { API_BASE_PATH } from '../../../functions/api/routes.ts';
import { buildSite } from '../../../web/build.ts';
import { pageContentSecurityPolicy } from '../../shared/page-security.ts';
import { REPO_ROOT } from '../../shared/repository.ts';
import { createStaticSite, type StaticSite } from './static-site.ts';

/** What the page reads from ./site-config.json (web/src/site-config.ts): the local cloud's API and trace. */
export const LOCAL_SITE_CONFIG = {
  apiBase: API_BASE_PATH,
  trace: { kind: 'local', executionsUrl: '/_local/executions/' },
} as const;

/**
 * Builds the page (web/build.ts) into a scratch folder under .build/ and reads it into memory: the running cloud
 * serves from memory, and the folder is gone before the cloud is up, even if it is killed later.
 */
export async function buildLocalSiteFiles(): Promise<Map<string, Buffer>> {
  await mkdir(join(REPO_ROOT, '.build'), { recursive: true });
  const directory = await mkdtemp(join(REPO_ROOT, '.build', 'local-site-'));
  try {
    await buildSite(directory);
    const files = new Map<string, Buffer>();
    for (const name of await readdir(directory)) files.set(name, await readFile(join(directory, name)));
    files.set('site-config.json', Buffer.from(JSON.stringify(LOCAL_SITE_CONFIG)));
    return files;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** The page as the local cloud serves it; its CSP lets it reach its own origin and the local S3, nothing else. */
export function localSite(files: ReadonlyMap<string, Buffer>, s3Endpoint: string): StaticSite {
  return createStaticSite({ files, contentSecurityPolicy: contentSecurityPolicy(s3Endpoint) });
}

/** S3 is another origin: presigned POST and part PUTs (connect-src), playback (media-src). CloudFront sends the same on AWS. */
export const contentSecurityPolicy = pageContentSecurityPolicy;
