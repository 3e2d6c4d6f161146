import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSite } from '../../web/build.ts';

export interface StagedSite {
  /** The page's files: index.html and its content-hashed script and stylesheet (no site-config.json). */
  dir: string;
  /** Deletes the folder: once the app is synthesized, cdk.out holds its own copy of the files. */
  remove(): void;
}

/**
 * The browser page built by web/build.ts into a folder of its own, for the site's BucketDeployment to stage.
 * Built on every synthesis (esbuild, well under a second), so a deployment always carries the page of the
 * commit it deploys; a fresh folder each time, so concurrent syntheses never read each other's half-written files.
 */
export async function stageSite(): Promise<StagedSite> {
  const dir = mkdtempSync(join(tmpdir(), 'vidp-site-'));
  try {
    await buildSite(dir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
