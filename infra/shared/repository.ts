import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository as both clouds see it: the root (the image build context; where entry files, the ASL and
 * the lockfile live), paths in it, and the version it is.
 */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const repoPath = (...segments: string[]): string => join(REPO_ROOT, ...segments);

export const PIPELINE_DEFINITION_FILE = repoPath('statemachine', 'pipeline.asl.json');
export const LOCKFILE = repoPath('package-lock.json');
export const WORKER_DOCKERFILE = 'containers/ffmpeg/Dockerfile';
export const CDK_JSON = repoPath('cdk.json');

/** The context `npx cdk synth` starts from: cdk.json's. In-process synthesis (tests, the local cloud's IAM) uses it too. */
export function cdkJsonContext(): Record<string, unknown> {
  return (JSON.parse(readFileSync(CDK_JSON, 'utf8')) as { context: Record<string, unknown> }).context;
}

/** package.json's version: what every function and the worker report as VIDP_VERSION. */
export const PACKAGE_VERSION = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string }).version;

export type FunctionGroup = 'api' | 'pipeline' | 'maintenance';

/**
 * `functions/{group}/{name}.ts`, from the repository root: the one convention every Lambda entry point follows,
 * bundled by CDK and loaded in-process by the local cloud.
 */
export function functionModule(group: FunctionGroup, name: string): string {
  return `functions/${group}/${name}.ts`;
}

export function functionEntry(group: FunctionGroup, name: string): string {
  return repoPath(functionModule(group, name));
}

export function functionEntryExists(group: FunctionGroup, name: string): boolean {
  return existsSync(functionEntry(group, name));
}
