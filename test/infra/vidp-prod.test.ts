import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingsOf, logicalIdOf, resourcesOf, synthesizeVidp, type SynthesizedVidp } from './synthesize.ts';

/**
 * A production deployment with every parameter set away from its default:
 *   -c stage=prod -c allowedOrigins=… -c apiAuth=iam -c videosGlacierTransitionDays=90 -c transcodeCpu=4096 …
 * Values arrive as strings, as they do from the command line.
 */
const ORIGINS = ['https://app.example', 'https://admin.example'];
let vidp: SynthesizedVidp;
beforeAll(async () => {
  vidp = await synthesizeVidp({
    stage: 'prod',
    allowedOrigins: ORIGINS.join(','),
    apiAuth: 'iam',
    videosGlacierTransitionDays: '90',
    transcodeCpu: '4096',
    transcodeMemoryMiB: '8192',
    transcodeEphemeralStorageGiB: '50',
    logRetentionDays: '365',
    maxUploadBytes: String(10 * 1024 ** 3),
    alarmEmail: 'oncall@example.com',
    subtitleAllowedHosts: 'subtitles.internal:8443,captions.corp',
    fargateSpot: 'false',
    fargateSpotDiscount: '0.65',
    parallelMinSeconds: '900',
    segmentSeconds: '180',
    segmentMaxConcurrency: '30',
  });
}, 120_000);
afterAll(() => vidp?.cleanUp());

describe('a prod deployment', () => {
  it('runs every transcode on on-demand FARGATE with fargateSpot=false (the cluster keeps both providers), at the discount given for Spot', () => {
    const stateMachine = Object.values(resourcesOf(vidp.statelessTemplate)).find((resource) => resource.Type === 'AWS::StepFunctions::StateMachine')!;
    expect((stateMachine.Properties!.DefinitionSubstitutions as Record<string, unknown>).TranscodeCapacityProvider).toBe('FARGATE');
    vidp.statelessTemplate.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: Match.arrayEquals(['FARGATE', 'FARGATE_SPOT']),
    });
    vidp.statelessTemplate.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Environment: Match.arrayWith([{ Name: 'FARGATE_SPOT_DISCOUNT', Value: '0.65' }]) })],
    });
  });

  it('gives the worker the segment settings: long videos from 900 s, 180 s segments, 30 at once', () => {
    vidp.statelessTemplate.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([
            { Name: 'PARALLEL_MIN_SECONDS', Value: '900' },
            { Name: 'SEGMENT_SECONDS', Value: '180' },
            { Name: 'SEGMENT_MAX_CONCURRENCY', Value: '30' },
          ]),
        }),
      ],
    });
  });

  it('names its stacks and resources after the stage', () => {
    expect([vidp.stateful.stackName, vidp.stateless.stackName]).toEqual(['vidp-prod-stateful', 'vidp-prod-stateless']);
    vidp.statelessTemplate.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'vidp-prod-pipeline' });
  });

  it('keeps the table, the buckets and the logs when a stack is deleted, and protects the table from deletion', () => {
    const table = vidp.statefulTemplate.findResources('AWS::DynamoDB::Table');
    expect(Object.values(table)).toEqual([
      expect.objectContaining({ DeletionPolicy: 'Retain', Properties: expect.objectContaining({ DeletionProtectionEnabled: true }) }),
    ]);
    for (const bucket of Object.values(vidp.statefulTemplate.findResources('AWS::S3::Bucket'))) expect(bucket.DeletionPolicy).toBe('Retain');
    for (const logGroup of Object.values(vidp.statelessTemplate.findResources('AWS::Logs::LogGroup'))) {
      expect(logGroup).toMatchObject({ DeletionPolicy: 'Retain', Properties: { RetentionInDays: 365 } });
    }
    // Nothing empties a bucket on the way out.
    vidp.statefulTemplate.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  it('allows browser uploads and API calls from the configured origins only', () => {
    vidp.statefulTemplate.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedOrigins: ORIGINS, ExposedHeaders: ['ETag'] })] },
    });
    const preflight = Object.values(resourcesOf(vidp.statelessTemplate)).find(
      (resource) => resource.Type === 'AWS::ApiGateway::Method' && resource.Properties!.HttpMethod === 'OPTIONS',
    )!;
    const integration = JSON.stringify(preflight.Properties!.Integration);
    expect(integration).toContain(`'${ORIGINS[0]}'`);
    expect(integration).toContain(ORIGINS[1]);
    expect(integration).not.toContain("'*'");
  });

  it('authorizes API calls with IAM (SigV4) instead of an API key', () => {
    const methods = Object.values(vidp.statelessTemplate.findResources('AWS::ApiGateway::Method'));
    for (const method of methods.filter((method) => method.Properties.HttpMethod !== 'OPTIONS')) {
      expect(method.Properties).toMatchObject({ AuthorizationType: 'AWS_IAM' });
      expect(method.Properties.ApiKeyRequired).not.toBe(true);
    }
    vidp.statelessTemplate.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
    vidp.statelessTemplate.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
  });

  it('deploys no web page with IAM auth (a browser cannot sign SigV4 requests), and says so at synthesis', () => {
    vidp.statelessTemplate.resourceCountIs('AWS::CloudFront::Distribution', 0);
    expect(vidp.statelessTemplate.toJSON().Outputs.SiteUrl).toBeUndefined();
    expect(Annotations.fromStack(vidp.stateless).findInfo('*', Match.stringLikeRegexp('No web site: with apiAuth=iam'))).toHaveLength(1);
  });

  it('moves saved videos to Glacier Instant Retrieval after the configured days, so playback keeps working', () => {
    vidp.statefulTemplate.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Prefix: 'videos/',
            Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
          }),
        ]),
      },
    });
  });

  it('sizes the transcode task as configured and tells the worker its size for the cost estimate', () => {
    vidp.statelessTemplate.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '4096',
      Memory: '8192',
      EphemeralStorage: { SizeInGiB: 50 },
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([
            { Name: 'FARGATE_VCPU', Value: '4' },
            { Name: 'FARGATE_MEMORY_GB', Value: '8' },
          ]),
        }),
      ],
    });
  });

  it('passes the upload limit and the origins to every function', () => {
    for (const fn of Object.values(vidp.statelessTemplate.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.Environment.Variables).toMatchObject({
        MAX_UPLOAD_BYTES: String(10 * 1024 ** 3),
        ALLOWED_ORIGINS: ORIGINS.join(','),
      });
    }
  });

  it('trusts the configured subtitle hosts in the one function that fetches subtitle URLs, and nowhere else', () => {
    const functions = Object.values(vidp.statelessTemplate.findResources('AWS::Lambda::Function'));
    const trusting = functions.filter((fn) => fn.Properties.Environment.Variables.SUBTITLE_ALLOWED_HOSTS !== undefined);
    expect(trusting.map((fn) => fn.Properties.Description)).toEqual(['vidp functions/pipeline/prepare-subtitles.ts']);
    expect(trusting[0]!.Properties.Environment.Variables.SUBTITLE_ALLOWED_HOSTS).toBe('subtitles.internal:8443,captions.corp');
  });

  it('emails alarms to the configured address', () => {
    vidp.statelessTemplate.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    const topicId = logicalIdOf(vidp.statelessTemplate, 'AWS::SNS::Topic', 'OperationsAlarmTopic');
    for (const alarm of Object.values(vidp.statelessTemplate.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    }
  });

  it('passes cdk-nag with nothing unacknowledged', () => {
    const findings = findingsOf(vidp.validationReport);
    expect(findings).toEqual([]);
  });
});
