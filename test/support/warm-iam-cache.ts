import { loadLocalIamModel } from '../../infra/local/iam/synthesized-policies.ts';

/**
 * Before any test file starts a local cloud: the CDK app's policies in .build/iam-policies.json, synthesized
 * once if the cache is cold, so parallel test files read the cache instead of each synthesizing the app.
 */
export default async function warmIamCache(): Promise<void> {
  await loadLocalIamModel();
}
