import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root: the image build context, and where entry files, the ASL and the lockfile live. */
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

/** functions/{group}/{name}.ts, the one convention every Lambda entry point follows. */
export function functionEntry(group: 'api' | 'pipeline' | 'maintenance', name: string): string {
  return repoPath('functions', group, `${name}.ts`);
}

export function functionEntryExists(group: 'api' | 'pipeline' | 'maintenance', name: string): boolean {
  return existsSync(functionEntry(group, name));
}
