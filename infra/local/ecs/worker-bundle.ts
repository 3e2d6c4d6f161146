import { join } from 'node:path';
import { bundleWorker as bundleWorkerAsTheImageDoes } from '../../../containers/ffmpeg/build.ts';

/** Bundles the worker into `outDir` with the container image's own bundler, and returns the bundle's path. */
export async function bundleWorker(outDir: string): Promise<string> {
  const outfile = join(outDir, 'worker.mjs');
  await bundleWorkerAsTheImageDoes(outfile);
  return outfile;
}
