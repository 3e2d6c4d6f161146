/**
 * `npm run bench`: every performance figure the issues ask for, measured and printed in one run.
 * `npm run bench -- api`, `-- pipeline`, `-- throughput`, `-- sources`, `-- fonts`, `-- image` or `-- segments`
 * runs one part (image and segments: only when asked, or when the worker image exists: they need `npm run
 * image` and a Docker engine; segments takes about half an hour). One local cloud serves them all: the
 * functions it hosts in their sandboxes are cold-started once and measured warm. Segments starts clouds of its
 * own, each with the worker environment it measures.
 */
import '../../infra/local/polyfills.ts';
import { startLocalCloud } from '../../infra/local/cloud.ts';
import { runApiBench } from './api.ts';
import { imageExists, runImageBench } from './image.ts';
import { runFontsBench, runSourcesBench } from './media.ts';
import { runPipelineBench } from './pipeline.ts';
import { runSegmentsBench } from './segments.ts';
import { runThroughputBench } from './throughput.ts';

const say = (line = '') => process.stdout.write(`${line}\n`);
const parts = {
  pipeline: runPipelineBench,
  throughput: runThroughputBench,
  api: runApiBench,
  image: runImageBench,
  sources: runSourcesBench,
  fonts: runFontsBench,
  segments: runSegmentsBench,
} as const;
const wanted = process.argv.slice(2).filter((name): name is keyof typeof parts => name in parts);

async function main(): Promise<void> {
  process.env.LOG_LEVEL ??= 'warn';
  // The functions' EMF lines would drown the figures (the local functions take the setting from here).
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const cloud = await startLocalCloud({ port: 0, logger: () => {} });
  try {
    for (const name of wanted.length > 0 ? wanted : (Object.keys(parts) as (keyof typeof parts)[])) {
      if ((name === 'image' || name === 'segments') && wanted.length === 0 && !imageExists()) {
        say(`\n== ${name}: skipped (no worker image: \`npm run image\`)`);
        continue;
      }
      say(`\n== ${name}`);
      await parts[name](say, cloud);
    }
  } finally {
    await cloud.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
