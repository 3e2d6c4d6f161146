import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presignPlayback, presignUpload } from '../../functions/core/storage.ts';
import { findingsOf, logicalIdOf, resourcesOf, synthesizeVidp, type SynthesizedVidp } from './synthesize.ts';

/**
 * The browser page on AWS (dev deployment, cdk.json's defaults: apiAuth=apiKey): a private bucket behind
 * CloudFront, /api/* to the API's stage, the page's files as web/build.ts builds them.
 */
let vidp: SynthesizedVidp;
beforeAll(async () => {
  vidp = await synthesizeVidp();
}, 120_000);
afterAll(() => vidp?.cleanUp());

/** AWS's managed policies, by the ids AWS documents them under. */
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

const template = () => vidp.statelessTemplate;
const resources = () => resourcesOf(template());
const siteBucketId = () => logicalIdOf(template(), 'AWS::S3::Bucket', 'SiteBucket');
const distributionId = () => logicalIdOf(template(), 'AWS::CloudFront::Distribution', 'SiteDistribution');
const distributionConfig = () => resources()[distributionId()]!.Properties!.DistributionConfig;
const originOf = (behavior: Record<string, any>) =>
  (distributionConfig().Origins as { Id: string }[]).find((origin) => origin.Id === behavior.TargetOriginId) as Record<string, any>;
const apiBehavior = () => (distributionConfig().CacheBehaviors as Record<string, any>[]).find((behavior) => behavior.PathPattern === '/api/*')!;
const deployments = () =>
  Object.entries(resources()).filter(([, resource]) => resource.Type === 'Custom::CDKBucketDeployment') as [string, { Properties: Record<string, any>; DependsOn?: string[] }][];
const deploymentNamed = (prefix: string) => deployments().find(([id]) => id.startsWith(prefix))!;

/** A template value as CloudFormation would resolve it in one account and region, the stateful stack's exports given. */
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const MEDIA_BUCKET = 'vidp-dev-stateful-mediabucketbcbb02ba-abc123';
function resolve(value: unknown, refs: Record<string, string> = {}): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, any>;
  if ('Fn::Join' in node) return (node['Fn::Join'][1] as unknown[]).map((part) => resolve(part, refs)).join(node['Fn::Join'][0]);
  if ('Fn::ImportValue' in node && String(node['Fn::ImportValue']).includes('MediaBucket')) return MEDIA_BUCKET;
  if ('Ref' in node) {
    const pseudo: Record<string, string> = { 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };
    const resolved = pseudo[node.Ref] ?? refs[node.Ref];
    if (resolved !== undefined) return resolved;
  }
  throw new Error(`Cannot resolve ${JSON.stringify(value)}`);
}

/** The files a BucketDeployment source stages (cdk.out holds each directory asset unzipped, named after its hash). */
function stagedFiles(objectKey: string): { dir: string; files: string[] } {
  const dir = join(vidp.outdir, `asset.${objectKey.replace(/\.zip$/, '')}`);
  return { dir, files: readdirSync(dir).sort() };
}

describe('the site bucket', () => {
  it('is private, encrypted with S3-managed keys, TLS-only, and serves no website of its own', () => {
    const bucket = resources()[siteBucketId()]!.Properties!;
    expect(bucket).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    expect(bucket.WebsiteConfiguration).toBeUndefined();
    const policy = Object.values(resources()).find(
      (resource) => resource.Type === 'AWS::S3::BucketPolicy' && JSON.stringify(resource.Properties!.Bucket) === JSON.stringify({ Ref: siteBucketId() }),
    )!;
    expect(policy.Properties!.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('lets CloudFront read it only on behalf of this distribution, through origin access control', () => {
    const policy = Object.values(resources()).find(
      (resource) => resource.Type === 'AWS::S3::BucketPolicy' && JSON.stringify(resource.Properties!.Bucket) === JSON.stringify({ Ref: siteBucketId() }),
    )!;
    const allows = (policy.Properties!.PolicyDocument.Statement as Record<string, any>[]).filter((statement) => statement.Effect === 'Allow');
    const services = allows.filter((statement) => statement.Principal.Service !== undefined);
    expect(services).toHaveLength(1);
    expect(services[0]).toMatchObject({ Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject' });
    expect(resolve(services[0]!.Condition.StringEquals['AWS:SourceArn'], { [distributionId()]: 'E2EXAMPLE' })).toBe(
      `arn:aws:cloudfront::${ACCOUNT}:distribution/E2EXAMPLE`,
    );
    // The one other reader is CDK's auto-delete function, which empties the bucket when the stack goes.
    const others = allows.filter((statement) => statement.Principal.Service === undefined);
    expect(others.map((statement) => JSON.stringify(statement.Principal))).toEqual([expect.stringContaining('CustomS3AutoDeleteObjects')]);
    expect(JSON.stringify(allows)).not.toContain('"*"');

    const s3Origin = originOf(distributionConfig().DefaultCacheBehavior);
    const oacId = logicalIdOf(template(), 'AWS::CloudFront::OriginAccessControl', 'SiteDistribution');
    expect(s3Origin.OriginAccessControlId).toEqual({ 'Fn::GetAtt': [oacId, 'Id'] });
    expect(s3Origin.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
    template().hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' },
    });
  });
});

describe('the distribution', () => {
  it('serves index.html at /, over HTTPS only (HTTP redirects), compressed and cached', () => {
    expect(distributionConfig()).toMatchObject({
      DefaultRootObject: 'index.html',
      DefaultCacheBehavior: { ViewerProtocolPolicy: 'redirect-to-https', Compress: true, CachePolicyId: CACHING_OPTIMIZED, AllowedMethods: ['GET', 'HEAD'] },
    });
    // Custom error pages would apply to /api/* too and turn the API's 403/404 bodies into a page.
    expect(distributionConfig().CustomErrorResponses).toBeUndefined();
  });

  it('routes /api/* to this API\'s execute-api host with no origin path, so /api/videos reaches stage "api", resource /videos', () => {
    const origin = originOf(apiBehavior());
    const restApiId = logicalIdOf(template(), 'AWS::ApiGateway::RestApi', 'ApiRestApi');
    expect(resolve(origin.DomainName, { [restApiId]: 'a1b2c3d4e5' })).toBe(`a1b2c3d4e5.execute-api.${REGION}.amazonaws.com`);
    expect(origin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });

    // CloudFront asks the origin for OriginPath + the viewer's path; API Gateway takes its first segment as the stage.
    const [stage, ...resourcePath] = `${origin.OriginPath ?? ''}/api/videos`.split('/').slice(1);
    template().hasResourceProperties('AWS::ApiGateway::Stage', { StageName: stage });
    const videos = Object.values(resources()).find(
      (resource) => resource.Type === 'AWS::ApiGateway::Resource' && resource.Properties!.PathPart === resourcePath.join('/'),
    );
    expect(videos?.Properties!.ParentId).toEqual({ 'Fn::GetAtt': [restApiId, 'RootResourceId'] });
  });

  it('passes every method and every viewer header but Host to the API, caches none of it, and refuses plain HTTP', () => {
    expect(apiBehavior()).toMatchObject({
      AllowedMethods: expect.arrayContaining(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']),
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
      ViewerProtocolPolicy: 'https-only',
    });
  });

  it('logs every viewer request to a bucket that expires the logs', () => {
    const logBucketId = logicalIdOf(template(), 'AWS::S3::Bucket', 'SiteLogs');
    expect(distributionConfig().Logging).toEqual({ Bucket: { 'Fn::GetAtt': [logBucketId, 'RegionalDomainName'] }, Prefix: 'cloudfront/' });
    expect(resources()[logBucketId]!.Properties!.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({ Status: 'Enabled', ExpirationInDays: 30 }),
    ]);
  });

  it('sends a CSP that allows the page\'s own origin and the host the API\'s presigned URLs point at, and no inline code', async () => {
    const policy = Object.values(resources()).find((resource) => resource.Type === 'AWS::CloudFront::ResponseHeadersPolicy')!;
    const headers = policy.Properties!.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(apiBehavior().ResponseHeadersPolicyId).toEqual(distributionConfig().DefaultCacheBehavior.ResponseHeadersPolicyId);
    expect(headers).toMatchObject({
      StrictTransportSecurity: { Override: true },
      ContentTypeOptions: { Override: true },
      FrameOptions: { FrameOption: 'DENY' },
      ReferrerPolicy: { ReferrerPolicy: 'no-referrer' },
    });
    const csp = Object.fromEntries(
      resolve(headers.ContentSecurityPolicy.ContentSecurityPolicy)
        .split(';')
        .map((directive) => directive.trim().split(/\s+/))
        .map(([name, ...sources]) => [name!, sources]),
    );

    // What functions/core/storage.ts hands the page, from a client built as the functions build theirs.
    const s3 = new S3Client({ region: REGION, credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'example' } });
    const upload = await presignUpload(s3, { bucket: MEDIA_BUCKET, key: 'uploads/v/source.mp4', contentType: 'video/mp4', maxBytes: 10, expiresInSeconds: 60 });
    const playback = await presignPlayback(s3, { bucket: MEDIA_BUCKET, key: 'videos/v/video.mp4', expiresInSeconds: 60 });
    const originOfUrl = (url: string) => new URL(url).origin;

    expect(csp['connect-src']).toEqual(["'self'", originOfUrl(upload.url)]);
    expect(csp['media-src']).toEqual(["'self'", originOfUrl(playback)]);
    // Scripts and styles fall back to default-src: the page's own files, nothing inline.
    expect(csp['default-src']).toEqual(["'self'"]);
    expect(Object.keys(csp).filter((name) => name.startsWith('script-src') || name.startsWith('style-src'))).toEqual([]);
    expect(Object.values(csp).flat().filter((source) => source.includes('unsafe') || source === '*')).toEqual([]);
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
  });

  it('is the SiteUrl output, as an https origin', () => {
    const output = template().toJSON().Outputs.SiteUrl;
    expect(output.Value).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId(), 'DomainName'] }]] });
  });
});

describe('the page\'s files', () => {
  it('deploys what web/build.ts builds: content-hashed files cached for a year, then the others revalidated on each visit', () => {
    const [assetsId, assets] = deploymentNamed('SiteAssets');
    const [, entry] = deploymentNamed('SiteEntry');
    const assetFiles = stagedFiles(assets.Properties.SourceObjectKeys[0]).files;
    expect(assetFiles).toEqual([expect.stringMatching(/^main-[A-Z0-9]+\.js$/), expect.stringMatching(/^styles-[A-Z0-9]+\.css$/)]);
    // Its prune spares what the other deployment writes.
    expect(assets.Properties).toMatchObject({ Prune: true, Exclude: ['favicon.svg', 'index.html', 'site-config.json'] });
    expect(assets.Properties.SystemMetadata['cache-control']).toBe('public, max-age=31536000, immutable');

    const index = stagedFiles(entry.Properties.SourceObjectKeys[0]);
    expect(index.files).toEqual(['favicon.svg', 'index.html']);
    const html = readFileSync(join(index.dir, 'index.html'), 'utf8');
    for (const file of assetFiles) expect(html).toContain(`./${file}`);
    expect(entry.Properties).toMatchObject({ Prune: false, SystemMetadata: { 'cache-control': 'no-cache' } });
    expect(entry.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${assetsId}`))]));
  });

  it('writes site-config.json for the console trace: the region, this state machine\'s ARN, and that an API key is needed', () => {
    const [, entry] = deploymentNamed('SiteEntry');
    const configSource = stagedFiles(entry.Properties.SourceObjectKeys[1]);
    expect(configSource.files).toEqual(['site-config.json']);
    const markers = entry.Properties.SourceMarkers[1] as Record<string, unknown>;
    const text = Object.entries(markers).reduce(
      (content, [marker, value]) => content.replaceAll(marker, resolve(value)),
      readFileSync(join(configSource.dir, 'site-config.json'), 'utf8'),
    );
    const stateMachineName = Object.values(resources()).find((resource) => resource.Type === 'AWS::StepFunctions::StateMachine')!.Properties!.StateMachineName;

    expect(JSON.parse(text)).toEqual({
      apiBase: '/api',
      trace: { kind: 'console', region: REGION, stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${stateMachineName}` },
      apiKeyRequired: true,
    });
  });
});

describe('cdk-nag', () => {
  it('finds nothing unacknowledged, and the site\'s acknowledgements are the ones a default certificate, no WAF and CDK\'s deployment handler need', () => {
    expect(findingsOf(vidp.validationReport)).toEqual([]);
    const siteAcknowledged = vidp.acknowledgements
      .filter(({ path }) => path.includes('/Site/') || path.includes('Custom::CDKBucketDeployment'))
      .map(({ id }) => id.replace(/^Annotation::/, '').replace(/\[.*\]$/, ''));
    expect(new Set(siteAcknowledged)).toEqual(new Set(['AwsSolutions-CFR1', 'AwsSolutions-CFR2', 'AwsSolutions-CFR4', 'AwsSolutions-L1', 'AwsSolutions-IAM4', 'AwsSolutions-IAM5']));
  });
});
