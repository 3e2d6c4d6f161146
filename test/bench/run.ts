/**
 * `npm run bench`: every performance figure the issues ask for, measured and printed in one run.
 * `npm run bench -- api`, `-- pipeline`, `-- throughput`, `-- sources`, `-- fonts` or `-- image` runs one part
 * (image: only when asked, or when the worker image exists: it needs `npm run image` and a Docker engine). One local cloud serves them all: the
 * functions it hosts in their sandboxes are cold-started once and measured warm.
 */
import '../../infra/local/polyfills.ts';
import { startLocalCloud } from '../../infra/local/cloud.ts';
import { runApiBench } from './api.ts';
import { imageExists, runImageBench } from './image.ts';
import { runFontsBench, runSourcesBench } from './media.ts';
import { runPipelineBench } from './pipeline.ts';
import { runThroughputBench } from './throughput.ts';

const say = (line = '') => process.stdout.write(`${line}\n`);
const parts = {
  pipeline: runPipelineBench,
  throughput: runThroughputBench,
  api: runApiBench,
  image: runImageBench,
  sources: runSourcesBench,
  fonts: runFontsBench,
} as const;
const wanted = process.argv.slice(2).filter((name): name is keyof typeof parts => name in parts);

async function main(): Promise<void> {
  process.env.LOG_LEVEL ??= 'warn';
  // The functions' EMF lines would drown the figures (the local functions take the setting from here).
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const cloud = await startLocalCloud({ port: 0, logger: () => {} });
  try {
    for (const name of wanted.length > 0 ? wanted : (Object.keys(parts) as (keyof typeof parts)[])) {
      if (name === 'image' && wanted.length === 0 && !imageExists()) {
        say('\n== image: skipped (no worker image: `npm run image`)');
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
