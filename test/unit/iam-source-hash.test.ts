import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { policySourceHash } from '../../infra/local/iam/source-hash.ts';

/** A repository in miniature: the synthesis entry importing one module, the data files, a function entry. */
let root: string;
const write = (file: string, content: string) => {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), content);
};
const lockWith = (cdkVersion: string) =>
  JSON.stringify({ packages: { 'node_modules/aws-cdk-lib': { version: cdkVersion }, 'node_modules/constructs': { version: '10.8.1' } } });

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'vidp-hash-'));
  write('infra/local/iam/synthesize-app.ts', "import { GRANTS } from '../../aws/grants.ts';\nexport const all = GRANTS;\n");
  write('infra/aws/grants.ts', "export const GRANTS = ['s3:GetObject'];\n");
  write('infra/aws/unused.ts', 'export const nothing = 1;\n');
  write('cdk.json', '{"context":{}}');
  write('package.json', '{"version":"0.1.0"}');
  write('statemachine/pipeline.asl.json', '{}');
  write('functions/api/health.ts', 'export const handler = 1;\n');
  write('package-lock.json', lockWith('2.276.0'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('policySourceHash', () => {
  it('is stable while nothing that shapes the policies changes, whatever else does', async () => {
    const before = await policySourceHash(root);
    write('infra/aws/unused.ts', 'export const nothing = 2;\n');
    write('functions/api/health.ts', 'export const handler = 2;\n');
    write('README.md', 'changed');

    expect((await policySourceHash(root)).hash).toBe(before.hash);
    expect(before.files).toEqual(expect.arrayContaining(['infra/aws/grants.ts', 'cdk.json', 'statemachine/pipeline.asl.json']));
    expect(before.files).not.toContain('infra/aws/unused.ts');
  });

  it.each([
    ['a module the app imports', () => write('infra/aws/grants.ts', "export const GRANTS = ['s3:PutObject'];\n")],
    ['the ASL', () => write('statemachine/pipeline.asl.json', '{"StartAt":"X"}')],
    ['cdk.json', () => write('cdk.json', '{"context":{"stage":"prod"}}')],
    ['which function entries exist', () => write('functions/maintenance/cleanup.ts', 'export const handler = 1;\n')],
    ['the locked aws-cdk-lib version', () => write('package-lock.json', lockWith('2.277.0'))],
  ])('changes with %s', async (_what, change) => {
    const before = await policySourceHash(root);
    change();

    expect((await policySourceHash(root)).hash).not.toBe(before.hash);
  });
});
