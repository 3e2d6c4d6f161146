import { Tags, Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readDeployConfig, resourcePrefix, type DeployConfig } from './deploy-config.ts';
import { StatefulStack } from './stateful-stack.ts';
import { StatelessStack } from './stateless-stack.ts';

/** What the app is built from besides its context. */
export interface VidpInputs {
  /** The browser page's built files, deployed by the site: infra/aws/site-files.ts builds them. */
  siteDir: string;
}

export interface VidpStacks {
  config: DeployConfig;
  stateful: StatefulStack;
  stateless: StatelessStack;
}

/**
 * The whole of vidp on AWS, in an App: `infra/aws/app.ts` builds it for the CDK CLI, the tests build it
 * in-process. cdk-nag's AWS Solutions checks run at synthesis; an unacknowledged finding fails it.
 */
export function addVidpStacks(app: App, inputs: VidpInputs): VidpStacks {
  const config = readDeployConfig(app.node);
  const prefix = resourcePrefix(config);
  // Region and account come from the CLI's credentials at deploy time; the templates stay environment-agnostic.
  const stateful = new StatefulStack(app, `${prefix}-stateful`, {
    config,
    description: 'vidp: media bucket and videos table (the data; RETAINed in prod)',
  });
  const stateless = new StatelessStack(app, `${prefix}-stateless`, {
    config,
    mediaBucket: stateful.mediaBucket,
    videosTable: stateful.videosTable,
    siteDir: inputs.siteDir,
    description: 'vidp: API, functions, workflow, FFmpeg worker on Fargate, web page on CloudFront, dashboard and alarms',
  });
  Tags.of(app).add('app', 'vidp');
  Tags.of(app).add('stage', config.stage);

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { config, stateful, stateless };
}
