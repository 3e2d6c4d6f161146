import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { REPO_ROOT } from '../../shared/repository.ts';

/**
 * What the synthesized policies depend on, hashed: a cached synthesis is reused only while this is unchanged.
 *
 * - every module the CDK app imports, found by esbuild the way the app would load them (so a grant moved
 *   into a new file, or a constant the stacks read from functions/ or infra/local/, is covered without a list
 *   to keep in step);
 * - the files the app reads as data: cdk.json (context), the ASL (the state machine role is derived from its
 *   Task states), package.json;
 * - which function entry files exist (a handler file decides whether its function, and its role, exist);
 * - the installed versions of aws-cdk-lib, constructs and cdk-nag, from package-lock.json.
 */
const SYNTHESIS_ENTRY = 'infra/local/iam/synthesize-app.ts';
const DATA_FILES = ['cdk.json', 'package.json'];
const DATA_FOLDERS = ['statemachine'];
const FUNCTION_FOLDERS = ['functions/api', 'functions/pipeline', 'functions/maintenance'];
const CDK_PACKAGES = ['aws-cdk-lib', 'constructs', 'cdk-nag'];

export interface PolicySources {
  hash: string;
  /** Repository-relative paths whose contents went into the hash. */
  files: string[];
}

export async function policySourceHash(root: string = REPO_ROOT): Promise<PolicySources> {
  const { metafile } = await build({
    absWorkingDir: root,
    entryPoints: [SYNTHESIS_ENTRY],
    bundle: true,
    write: false,
    metafile: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
  });
  const files = [
    ...Object.keys(metafile.inputs),
    ...DATA_FILES,
    ...DATA_FOLDERS.flatMap((folder) => filesUnder(root, folder)),
  ].sort();
  const hash = createHash('sha256');
  for (const file of new Set(files)) hash.update(`${file}\0`).update(readFileSync(join(root, file))).update('\0');
  hash.update(`entries\0${FUNCTION_FOLDERS.flatMap((folder) => filesUnder(root, folder)).sort().join('\n')}\0`);
  hash.update(`packages\0${JSON.stringify(lockedVersions(root))}`);
  return { hash: hash.digest('hex'), files: [...new Set(files)] };
}

function filesUnder(root: string, folder: string): string[] {
  if (!existsSync(join(root, folder))) return [];
  return readdirSync(join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

function lockedVersions(root: string): Record<string, string | undefined> {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  return Object.fromEntries(CDK_PACKAGES.map((name) => [name, lock.packages[`node_modules/${name}`]?.version]));
}
