/**
 * The CDK app (cdk.json: `npx tsx infra/aws/app.ts`). Parameters: infra/aws/deploy-config.ts, and the
 * README's "Deploy to AWS".
 */
import { App } from 'aws-cdk-lib';
import { DeployConfigError } from './deploy-config.ts';
import { stageSite } from './site-files.ts';
import { addVidpStacks } from './vidp-app.ts';

const app = new App();
const site = await stageSite();
try {
  addVidpStacks(app, { siteDir: site.dir });
  app.synth();
} catch (error) {
  // A wrong -c value is the operator's to fix: say which, without a stack trace.
  if (!(error instanceof DeployConfigError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
} finally {
  site.remove();
}
