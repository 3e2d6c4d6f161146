import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/shared/repository.ts';

/**
 * The deploy (infra/aws) never imports the emulator (infra/local): a synth must not load s3rver, dynalite or
 * aws-local-stepfunctions, and what both clouds need lives in infra/shared. Read from the sources as text,
 * following every relative import, so an indirect path through another module counts too.
 */
const AWS_DIR = join(REPO_ROOT, 'infra', 'aws');
const LOCAL_DIR = join(REPO_ROOT, 'infra', 'local');

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function relativeImportsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(SPECIFIER)]
    .map((match) => match[1]!)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => resolve(dirname(file), specifier));
}

/** Every chain of imports from `start` that ends in infra/local, as repository-relative paths. */
function pathsIntoLocal(start: string): string[][] {
  const found: string[][] = [];
  const visited = new Set<string>();
  const walk = (file: string, chain: string[]) => {
    if (visited.has(file)) return;
    visited.add(file);
    for (const target of relativeImportsOf(file)) {
      const next = [...chain, relative(REPO_ROOT, target)];
      if (target.startsWith(`${LOCAL_DIR}/`)) found.push(next);
      else if (target.endsWith('.ts') && target.startsWith(REPO_ROOT)) walk(target, next);
    }
  };
  walk(start, [relative(REPO_ROOT, start)]);
  return found;
}

describe('the deploy', () => {
  const files = sourceFiles(AWS_DIR);

  it('is read from the sources it really has', () => {
    expect(files.map((file) => relative(REPO_ROOT, file))).toContain('infra/aws/app.ts');
    expect(relativeImportsOf(join(AWS_DIR, 'app.ts')).length).toBeGreaterThan(0);
  });

  it.each(files.map((file) => [relative(REPO_ROOT, file), file] as const))('%s imports nothing of infra/local, directly or not', (_name, file) => {
    expect(pathsIntoLocal(file).map((chain) => chain.join(' → '))).toEqual([]);
  });
});

/**
 * The IAM engine of the local cloud (@cloud-copilot/iam-simulate and its iam-policy / iam-utils, AGPL-3.0) is a
 * devDependency of the emulator only: no Lambda bundle and not the worker image's bundle may contain it.
 */
describe('what gets deployed', () => {
  it('bundles nothing of the local IAM engine into a Lambda function or the worker', async () => {
    const { build } = await import('esbuild');
    const entries = ['api', 'pipeline', 'maintenance'].flatMap((group) =>
      readdirSync(join(REPO_ROOT, 'functions', group))
        .filter((name) => name.endsWith('.ts'))
        .map((name) => join(REPO_ROOT, 'functions', group, name)),
    );
    const { metafile } = await build({
      entryPoints: [...entries, join(REPO_ROOT, 'containers', 'ffmpeg', 'src', 'worker.ts')],
      bundle: true,
      write: false,
      metafile: true,
      outdir: join(REPO_ROOT, '.build', 'bundle-check'),
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
    });

    expect(Object.keys(metafile.inputs).filter((input) => input.includes('node_modules/@cloud-copilot/'))).toEqual([]);
    expect(Object.keys(metafile.inputs).filter((input) => input.startsWith('infra/local/'))).toEqual([]);
  });
});
