import { readdirSync } from 'node:fs';
import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { IRestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type IBucket } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { API_BASE_PATH } from '../../../functions/api/routes.ts';
import { CONTENT_HASHED_NAME, PAGE_CACHE_CONTROL, pageContentSecurityPolicy } from '../../shared/page-security.ts';
import { acknowledgeWildcardResource } from '../nag.ts';

export interface WebSiteProps {
  /** The page's built files (web/build.ts's buildSite output): index.html and its content-hashed assets. */
  siteDir: string;
  restApi: IRestApi;
  /** The bucket the presigned upload, part and playback URLs point at: the page talks to it directly. */
  mediaBucket: IBucket;
  /** For the page's links to each video's execution in the Step Functions console. */
  stateMachineArn: string;
  /** The API wants an `x-api-key`: the page asks for it once. */
  apiKeyRequired: boolean;
  logRetention: RetentionDays;
  logRemovalPolicy: RemovalPolicy;
}

/**
 * The page's `./site-config.json` on AWS (the contract of web/src/site-config.ts, which is typed for the
 * browser and so cannot be imported here): the API on the same origin, executions in the console.
 */
interface ConsoleSiteConfig {
  apiBase: string;
  trace: { kind: 'console'; region: string; stateMachineArn: string };
  apiKeyRequired?: true;
}

/** Written by whoever serves the page (web/build.ts leaves it out). */
const SITE_CONFIG_FILE = 'site-config.json';

/**
 * The browser page on AWS: a private bucket behind CloudFront (origin access control), with `/api/*` routed
 * to the REST API's stage, so the page and the API share one origin and the API needs no CORS for it. The
 * media bucket is another origin (presigned URLs are signed for its host), allowed by the page's CSP and by
 * the bucket's CORS rules (the `allowedOrigins` context).
 */
export class WebSite extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  /** `https://{distribution domain}`, the origin the page runs at. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: WebSiteProps) {
    super(scope, id);
    const logsRetained = props.logRemovalPolicy === RemovalPolicy.RETAIN;

    // CloudFront's standard logs are written with an ACL, so this bucket keeps ACLs (bucket owner preferred).
    // It is a log target, and logs nothing itself.
    const logs = new Bucket(this, 'Logs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(props.logRetention) }],
      removalPolicy: props.logRemovalPolicy,
      autoDeleteObjects: !logsRetained,
    });

    // Holds nothing but what the deployment below puts there again: deleted with the stack in every stage.
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'site-bucket/',
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });

    const securityHeaders = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'vidp page: a CSP of its own origin and the media bucket, HSTS, nosniff, no framing',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: pageContentSecurityPolicy(mediaBucketOrigin(props.mediaBucket)), override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(2 * 365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    // Not RestApiOrigin: it sets the origin path to the stage (/api), and CloudFront appends the viewer's whole
    // path to it, so /api/videos would reach /api/api/videos. The stage is the first segment of the viewer's path.
    const apiOrigin = new HttpOrigin(`${props.restApi.restApiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`, {
      protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [OriginSslPolicy.TLS_V1_2],
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: `vidp page and API (${Stack.of(this).stackName})`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        compress: true,
        responseHeadersPolicy: securityHeaders,
      },
      additionalBehaviors: {
        [`${API_BASE_PATH}/*`]: {
          origin: apiOrigin,
          // Not a redirect: a client following one would turn a POST into a GET.
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          // Every header (x-api-key included), query string and cookie, but the Host: API Gateway routes by its own.
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          compress: true,
          responseHeadersPolicy: securityHeaders,
        },
      },
      // No errorResponses: they apply to every behaviour, and would turn the API's own 403/404 into a page.
      httpVersion: HttpVersion.HTTP2_AND_3,
      // North America and Europe edges only: the cheapest class; viewers elsewhere are served from those.
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    this.deployFiles(props);
    this.acknowledgeFindings();
  }

  /**
   * The content-hashed files first, cached for a year, then the others (index.html, site-config.json, the
   * icon), revalidated on every visit (CloudFront keeps them its minimum TTL, one second): no invalidation
   * needed, and a new index.html never names a file that is not there yet.
   */
  private deployFiles(props: WebSiteProps): void {
    const built = readdirSync(props.siteDir).sort();
    const hashed = built.filter((name) => CONTENT_HASHED_NAME.test(name));
    const others = [...built.filter((name) => !hashed.includes(name)), SITE_CONFIG_FILE];
    const logGroup = new LogGroup(this, 'DeploymentLogs', { retention: props.logRetention, removalPolicy: props.logRemovalPolicy });
    const assets = new BucketDeployment(this, 'Assets', {
      sources: [Source.asset(props.siteDir, { exclude: others })],
      destinationBucket: this.bucket,
      // Prunes the files of older builds, never those the other deployment owns.
      exclude: others,
      prune: true,
      cacheControl: [CacheControl.fromString(PAGE_CACHE_CONTROL.contentHashed)],
      logGroup,
    });
    const config: ConsoleSiteConfig = {
      apiBase: API_BASE_PATH,
      trace: { kind: 'console', region: Aws.REGION, stateMachineArn: props.stateMachineArn },
      ...(props.apiKeyRequired ? { apiKeyRequired: true } : {}),
    };
    const entry = new BucketDeployment(this, 'Entry', {
      sources: [Source.asset(props.siteDir, { exclude: hashed }), Source.jsonData(SITE_CONFIG_FILE, config)],
      destinationBucket: this.bucket,
      prune: false,
      cacheControl: [CacheControl.fromString(PAGE_CACHE_CONTROL.other)],
      logGroup,
    });
    entry.node.addDependency(assets);
    // Each BucketDeployment makes an AWS CLI layer, yet the handler function they share has the first one's:
    // the second would be deployed for nothing.
    entry.node.tryRemoveChild('AwsCliLayer');
  }

  private acknowledgeFindings(): void {
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR4',
      reason:
        'No custom domain, so the distribution uses the default *.cloudfront.net certificate, for which CloudFront fixes ' +
        'the viewer security policy (TLSv1); a custom domain with an ACM certificate allows TLSv1.2_2021. The origins are TLSv1.2 only.',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR2',
      reason:
        'No WAF web ACL by default (about $6/month before any request), as for the API: the page is static files and ' +
        '/api/* meets the stage\'s throttling and API key. Attach a web ACL when it faces untrusted traffic at scale.',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason: 'The page is for the service\'s users wherever they are: no country is excluded by default.',
    });
    const stack = Stack.of(this);
    const deploymentHandler = stack.node.children.find(
      (child): child is LambdaFunction => child instanceof LambdaFunction && child.node.id.startsWith('Custom::CDKBucketDeployment'),
    );
    if (deploymentHandler === undefined) throw new Error('BucketDeployment created no handler function: where do its findings go?');
    Validations.of(deploymentHandler).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'CDK\'s BucketDeployment handler: its runtime is the one aws-cdk-lib ships it for, updated with the library.',
    });
    Validations.of(deploymentHandler).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'CDK\'s BucketDeployment handler writes its logs with the AWS-managed basic execution policy it is created with.',
    });
    // The wildcards of CDK's read grant on the staged page (in the bootstrap bucket) and its read-write grant
    // on the site bucket: `aws s3 sync` lists, reads, writes and prunes objects.
    for (const action of ['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*']) {
      Validations.of(deploymentHandler).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: 'CDK\'s BucketDeployment handler: the actions of its grants to copy the page into the site bucket with s3 sync.',
      });
    }
    acknowledgeWildcardResource(
      deploymentHandler,
      this.bucket.arnForObjects('*'),
      'CDK\'s BucketDeployment handler syncs every object of the site bucket, which holds only the page.',
    );
    const stagedPage = this.node.findAll().filter((child): child is Asset => child instanceof Asset);
    for (const bucketArn of new Set(stagedPage.map((asset) => asset.bucket.arnForObjects('*')))) {
      acknowledgeWildcardResource(
        deploymentHandler,
        bucketArn,
        'CDK\'s BucketDeployment handler reads the staged page from the CDK bootstrap bucket (asset object names are content hashes).',
      );
    }
  }
}

/**
 * The origin the API's presigned URLs carry: the SDK's default virtual-hosted, regional endpoint
 * (`{bucket}.s3.{region}.amazonaws.com`, us-east-1 included), in the functions' region, the stack's.
 */
function mediaBucketOrigin(bucket: IBucket): string {
  return `https://${bucket.bucketName}.s3.${Aws.REGION}.${Aws.URL_SUFFIX}`;
}
