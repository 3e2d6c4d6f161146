/**
 * Builds the browser page into one folder: index.html, the esbuild bundle, the stylesheet and the icon, the two assets
 * named after their content hash so whoever serves them can cache them for a year (index.html: never).
 * No site-config.json: whoever serves the page writes it (the local cloud: kind "local"; CDK: kind "console").
 *
 * CLI: `tsx web/build.ts <outDir>`
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { isEntryPoint } from '../containers/ffmpeg/src/entry-point.ts';

const SOURCE_DIR = fileURLToPath(new URL('./src/', import.meta.url));

/** What the page's HTML refers to, by the names the build gave them. */
export interface SiteAssets {
  script: string;
  stylesheet: string;
}

export async function buildSite(outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: [join(SOURCE_DIR, 'main.ts'), join(SOURCE_DIR, 'styles.css')],
    outdir: outDir,
    entryNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    sourcemap: false,
    format: 'esm',
    platform: 'browser',
    // What the page needs: ES modules, top-level await, fetch streams; every evergreen browser of 2024 on.
    target: ['chrome110', 'firefox115', 'safari16'],
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
  const assets: SiteAssets = {
    script: outputs.find((name) => name.endsWith('.js'))!,
    stylesheet: outputs.find((name) => name.endsWith('.css'))!,
  };
  const template = await readFile(join(SOURCE_DIR, 'index.html'), 'utf8');
  await writeFile(join(outDir, 'index.html'), renderIndex(template, assets));
  await copyFile(join(SOURCE_DIR, 'favicon.svg'), join(outDir, 'favicon.svg'));
}

function renderIndex(template: string, assets: SiteAssets): string {
  return template.replaceAll('{{script}}', `./${assets.script}`).replaceAll('{{stylesheet}}', `./${assets.stylesheet}`);
}

if (isEntryPoint(import.meta.url)) {
  const outDir = process.argv[2];
  if (outDir === undefined) {
    console.error('usage: build.ts <outDir>');
    process.exit(2);
  }
  await buildSite(outDir);
}
