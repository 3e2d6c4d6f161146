/**
 * `npm run bench`: every performance figure the issues ask for, measured and printed in one run.
 * `npm run bench -- api` or `npm run bench -- pipeline` runs one part.
 */
import '../../infra/local/polyfills.ts';
import { runApiBench } from './api.ts';
import { runPipelineBench } from './pipeline.ts';

const say = (line = '') => process.stdout.write(`${line}\n`);
const parts = { pipeline: runPipelineBench, api: runApiBench } as const;
const wanted = process.argv.slice(2).filter((name): name is keyof typeof parts => name in parts);

async function main(): Promise<void> {
  for (const name of wanted.length > 0 ? wanted : (Object.keys(parts) as (keyof typeof parts)[])) {
    say(`\n== ${name}`);
    await parts[name](say);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
