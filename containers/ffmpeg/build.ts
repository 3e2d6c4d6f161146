/**
 * Bundles the FFmpeg worker into one ES module file. The image build runs it (see the Dockerfile) and the
 * local cloud calls `bundleWorker` at start, so both run the very same bundle.
 *
 * CLI: `tsx containers/ffmpeg/build.ts <outfile>`
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { NODE_ESM_BUNDLE } from '../../infra/shared/bundling.ts';
import { isEntryPoint } from './src/entry-point.ts';

const WORKER_ENTRY = fileURLToPath(new URL('./src/worker.ts', import.meta.url));

export async function bundleWorker(outfile: string): Promise<void> {
  await build({
    entryPoints: [WORKER_ENTRY],
    outfile,
    bundle: true,
    platform: NODE_ESM_BUNDLE.platform,
    format: NODE_ESM_BUNDLE.format,
    // The local cloud runs the bundle on the host's Node, 20 or later; the image has 22.
    target: 'node20',
    banner: { js: NODE_ESM_BUNDLE.banner },
    keepNames: NODE_ESM_BUNDLE.keepNames,
    logLevel: 'warning',
  });
}

if (isEntryPoint(import.meta.url)) {
  const outfile = process.argv[2];
  if (outfile === undefined) {
    console.error('usage: build.ts <outfile>');
    process.exit(2);
  }
  await bundleWorker(outfile);
}
