import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { NODE_ESM_BUNDLE } from '../../shared/bundling.ts';
import { LOCKFILE, REPO_ROOT } from '../../shared/repository.ts';

export interface VidpFunctionProps
  extends Omit<NodejsFunctionProps, 'role' | 'logGroup' | 'runtime' | 'architecture' | 'bundling' | 'entry'> {
  /** functions/{group}/{name}.ts; its exported `handler` is the Lambda handler. */
  entry: string;
  logRetention: RetentionDays;
  /** What happens to the log group when the stack goes (RETAIN in prod). */
  logRemovalPolicy: RemovalPolicy;
}

/**
 * Every vidp Lambda: Node.js 22 on Graviton, bundled here with the repository's esbuild (no Docker), JSON
 * logs in a log group of its own, X-Ray tracing, and a role that holds nothing until a grant adds it.
 */
export class VidpFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: VidpFunctionProps) {
    const { logRetention, logRemovalPolicy, ...functionProps } = props;
    // The log group and the role are passed to super(), so they are created first, in the parent scope,
    // named after the function. Our own role rather than the default one: that would carry
    // AWSLambdaBasicExecutionRole, which lets a function create and write any log group in the account;
    // this one may only write its own.
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: logRetention, removalPolicy: logRemovalPolicy });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `vidp ${id}: its log group, X-Ray, and the grants its handler needs`,
    });

    super(scope, id, {
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(10),
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
      ...functionProps,
      environment: {
        // Stack traces point into the TypeScript sources rather than the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
        ...functionProps.environment,
      },
      role,
      logGroup,
      projectRoot: REPO_ROOT,
      depsLockFilePath: LOCKFILE,
      bundling: {
        // The local esbuild: synth must work on machines without Docker (CI has none).
        forceDockerBundling: false,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        keepNames: NODE_ESM_BUNDLE.keepNames,
        target: 'node22',
        format: NODE_ESM_BUNDLE.format as OutputFormat,
        mainFields: ['module', 'main'],
        banner: NODE_ESM_BUNDLE.banner,
        // Bundle the AWS SDK too: the function then runs the exact SDK version the tests ran (the checksum
        // settings in functions/core/clients.ts depend on it), not whatever the runtime ships that month.
        externalModules: [],
      },
    });

    logGroup.grantWrite(role);
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x on purpose: the FFmpeg worker image runs Node 22 too, so both run the code on the version it is ' +
        'tested with. Supported by Lambda until 2027-04-30; move both to Node 24 together.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
    });
  }
}
