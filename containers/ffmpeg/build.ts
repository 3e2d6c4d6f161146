/**
 * Bundles the FFmpeg worker into one ES module file. The image build runs it (see the Dockerfile) and the
 * local cloud calls `bundleWorker` at start, so both run the very same bundle.
 *
 * CLI: `tsx containers/ffmpeg/build.ts <outfile>`
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { isEntryPoint } from './src/entry-point.ts';

const WORKER_ENTRY = fileURLToPath(new URL('./src/worker.ts', import.meta.url));

export async function bundleWorker(outfile: string): Promise<void> {
  await build({
    entryPoints: [WORKER_ENTRY],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Bundled CommonJS dependencies (parts of the AWS SDK) call require(); an ES module has none.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    // Error class names are the contract with the ASL (Retry/Catch match them; AppError takes `name` from
    // the class). esbuild renames classes whose names collide across modules (it does so to the SDK's
    // InvalidToken here); keepNames keeps every `.name` as written.
    keepNames: true,
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
