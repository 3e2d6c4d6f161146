import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../functions/api/routes.ts';
import { METRIC_NAMES, METRIC_SERVICES } from '../../functions/core/metrics.ts';
import { functionEntryExists, PIPELINE_DEFINITION_FILE } from '../../infra/shared/repository.ts';
import {
  actionsOf,
  findingsOf,
  logicalIdOf,
  resourcesOf,
  resourcesOfStatement,
  statementsOfRole,
  synthesizeVidp,
  vidpFunctionsOf,
  type PolicyStatementJson,
  type SynthesizedVidp,
} from './synthesize.ts';

/**
 * The dev deployment as `npx cdk synth` builds it from cdk.json's defaults, checked resource by resource.
 * The expectations are written from what the code and the ASL do, not from the CDK code that builds them.
 */
let vidp: SynthesizedVidp;
beforeAll(async () => {
  vidp = await synthesizeVidp();
}, 120_000);
afterAll(() => vidp?.cleanUp());

const aslText = readFileSync(PIPELINE_DEFINITION_FILE, 'utf8');
const pascal = (kebab: string) => kebab.replace(/(^|-)(\w)/g, (_m, _d: string, letter: string) => letter.toUpperCase());
const stateless = () => resourcesOf(vidp.statelessTemplate);
const stateful = () => resourcesOf(vidp.statefulTemplate);
const stateMachine = () => Object.values(stateless()).find((resource) => resource.Type === 'AWS::StepFunctions::StateMachine')!.Properties!;
const functionRoleStatements = (name: string) =>
  statementsOfRole(vidp.statelessTemplate, logicalIdOf(vidp.statelessTemplate, 'AWS::IAM::Role', `${pascal(name)}FunctionRole`));
/** What every function and the state machine may do on `*`: X-Ray, and the state machine's log delivery. */
const isTelemetryStatement = (statement: PolicyStatementJson) =>
  actionsOf(statement).every((action) => action.startsWith('xray:') || action.startsWith('logs:'));

describe('stateful stack: the data', () => {
  it('keeps the videos table on demand, with point-in-time recovery and the three indexes the API queries', () => {
    vidp.statefulTemplate.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      // What functions/core/video-repository.ts queries: by status, by source video, by filename, newest first.
      GlobalSecondaryIndexes: [
        ['status-created_at-index', 'status'],
        ['source_video_id-index', 'source_video_id'],
        ['filename-index', 'filename'],
      ].map(([IndexName, partitionKey]) => ({
        IndexName,
        KeySchema: [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: 'created_at', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    });
  });

  it('lets a dev deployment be torn down completely', () => {
    const table = Object.values(stateful()).find((resource) => resource.Type === 'AWS::DynamoDB::Table')!;
    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.Properties!.DeletionProtectionEnabled).toBe(false);
  });

  it('blocks public access to the media bucket, encrypts it, and sends its object events to EventBridge', () => {
    const mediaBucket = vidp.statefulTemplate.findResources('AWS::S3::Bucket', {
      Properties: { NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } },
    });
    expect(Object.keys(mediaBucket)).toHaveLength(1);
    vidp.statefulTemplate.hasResourceProperties('AWS::S3::Bucket', {
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'media/' },
    });
  });

  it('refuses every request to the media bucket that does not use TLS', () => {
    const mediaBucketId = logicalIdOf(vidp.statefulTemplate, 'AWS::S3::Bucket', 'MediaBucket');
    vidp.statefulTemplate.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: mediaBucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('lets browsers upload straight to the bucket and read the ETag of each part', () => {
    vidp.statefulTemplate.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: {
        CorsRules: [
          Match.objectLike({
            AllowedOrigins: ['*'],
            AllowedMethods: Match.arrayWith(['PUT', 'POST']),
            ExposedHeaders: ['ETag'],
            MaxAge: Match.anyValue(),
          }),
        ],
      },
    });
  });

  it('expires temp/ files and abandoned multipart uploads after a day, and keeps saved videos in S3 Standard by default', () => {
    vidp.statefulTemplate.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          { Id: 'abort-incomplete-multipart-uploads', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
          { Id: 'expire-temp', Status: 'Enabled', Prefix: 'temp/', ExpirationInDays: 1 },
        ],
      },
    });
  });
});

describe('workflow', () => {
  it('starts the state machine directly from EventBridge when a video source lands, not when subtitles do', () => {
    const stateMachineId = logicalIdOf(vidp.statelessTemplate, 'AWS::StepFunctions::StateMachine', 'PipelineStateMachine');
    vidp.statelessTemplate.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [{ 'Fn::ImportValue': Match.stringLikeRegexp('MediaBucket') }] },
          object: { key: [{ wildcard: 'uploads/*/source.*' }] },
        },
      },
      Targets: [Match.objectLike({ Arn: { Ref: stateMachineId }, DeadLetterConfig: Match.anyValue() })],
    });
  });

  it('logs every state transition but no execution data (task tokens are in it), and traces it with X-Ray', () => {
    expect(stateMachine().LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    expect(stateMachine().TracingConfiguration).toEqual({ Enabled: true });
  });

  it('deploys statemachine/pipeline.asl.json itself, inline in the template', () => {
    expect(stateMachine().DefinitionString).toBe(aslText);
  });

  it('substitutes every ${Placeholder} of the definition with a value', () => {
    const definition = stateMachine().DefinitionString as string;
    const substitutions = stateMachine().DefinitionSubstitutions as Record<string, unknown>;
    const placeholders = [...new Set([...definition.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1]!))];

    expect(placeholders.length).toBeGreaterThan(0);
    expect(placeholders.filter((name) => !(name in substitutions))).toEqual([]);
    for (const name of placeholders) expect(substitutions[name], name).toBeTruthy();
    // What CloudFormation deploys, with each value in place: valid JSON with nothing left to fill.
    const filled = definition.replace(/\$\{(\w+)\}/g, (_match, name: string) => `resolved-${name}`);
    expect(filled).not.toContain('${');
    expect(() => JSON.parse(filled)).not.toThrow();
  });

  it('passes the name of the task definition\'s container and both public subnets to the Transcode task', () => {
    const substitutions = stateMachine().DefinitionSubstitutions as Record<string, unknown>;
    const subnetIds = Object.entries(stateless())
      .filter(([, resource]) => resource.Type === 'AWS::EC2::Subnet')
      .map(([id]) => ({ Ref: id }));
    const taskDefinition = Object.values(stateless()).find((resource) => resource.Type === 'AWS::ECS::TaskDefinition')!;
    const containers = taskDefinition.Properties!.ContainerDefinitions as { Name: string }[];
    expect(containers).toHaveLength(1);
    // The ASL's ContainerOverrides name the container: ECS refuses an override for a container it does not have.
    expect(substitutions.WorkerContainerName).toBe(containers[0]!.Name);
    expect([substitutions.SubnetA, substitutions.SubnetB]).toEqual(expect.arrayContaining(subnetIds));
    expect(subnetIds).toHaveLength(2);
  });

  describe('the state machine role', () => {
    /** What each Task resource calls, from the Step Functions service integration docs. */
    const ACTIONS_BY_INTEGRATION: [RegExp, (match: RegExpMatchArray) => string[]][] = [
      [/^arn:aws:states:::dynamodb:(\w+)$/, ([, operation]) => [`dynamodb:${pascal(operation!)}`]],
      [/^arn:aws:states:::lambda:invoke$/, () => ['lambda:InvokeFunction']],
      // ecs:TagResource too: Transcode propagates the task definition's tags, which ECS authorizes as tag-on-create.
      [/^arn:aws:states:::ecs:runTask\.waitForTaskToken$/, () => ['ecs:RunTask', 'iam:PassRole', 'ecs:TagResource']],
      [/^arn:aws:states:::aws-sdk:s3:(\w+)$/, ([, operation]) => [`s3:${pascal(operation!)}`]],
      [/^arn:aws:states:::events:putEvents$/, () => ['events:PutEvents']],
    ];
    /** Step Functions' own logging (CloudWatch Logs delivery) and X-Ray tracing. */
    const SERVICE_ACTIONS = [
      'logs:CreateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:DescribeLogGroups',
      'logs:DescribeResourcePolicies',
      'logs:GetLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:UpdateLogDelivery',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ];
    const tasks = Object.entries(JSON.parse(aslText).States as Record<string, { Type: string; Resource?: string; Parameters?: any }>)
      .filter(([, state]) => state.Type === 'Task')
      .map(([name, state]) => ({ name, resource: state.Resource!, parameters: state.Parameters ?? {} }));
    const expectedActions = (resource: string) => {
      for (const [pattern, actions] of ACTIONS_BY_INTEGRATION) {
        const match = resource.match(pattern);
        if (match) return actions(match);
      }
      throw new Error(`This test knows no IAM actions for ${resource}: add them to ACTIONS_BY_INTEGRATION`);
    };
    const roleStatements = () => statementsOfRole(vidp.statelessTemplate, (stateMachine().RoleArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]);

    it.each(tasks.map((task) => [task.name, task] as const))('allows what Task state %s calls', (_name, task) => {
      const granted = roleStatements().flatMap(actionsOf);
      expect(granted).toEqual(expect.arrayContaining(expectedActions(task.resource)));
    });

    it('allows nothing the definition does not call, and no wildcard action', () => {
      const granted = new Set(roleStatements().flatMap(actionsOf));
      const called = new Set([...tasks.flatMap((task) => expectedActions(task.resource)), ...SERVICE_ACTIONS]);
      expect([...granted].filter((action) => !called.has(action))).toEqual([]);
      expect([...granted].filter((action) => action.includes('*'))).toEqual([]);
    });

    it('grants the calls on the resources the definition names, never on "*"', () => {
      const substitutions = stateMachine().DefinitionSubstitutions as Record<string, unknown>;
      const statementsFor = (action: string) => roleStatements().filter((statement) => actionsOf(statement).includes(action));
      for (const statement of roleStatements().filter((statement) => !isTelemetryStatement(statement))) {
        expect(resourcesOfStatement(statement)).not.toContain('*');
      }
      for (const task of tasks.filter((task) => task.resource.startsWith('arn:aws:states:::lambda:invoke'))) {
        const placeholder = /^\$\{(\w+)\}$/.exec(task.parameters.FunctionName)![1]!;
        const invokable = statementsFor('lambda:InvokeFunction').flatMap(resourcesOfStatement);
        expect(invokable, task.name).toContainEqual(substitutions[placeholder]);
      }
      for (const statement of statementsFor('dynamodb:UpdateItem')) {
        expect(JSON.stringify(statement.Resource)).toMatch(/VideosTable.*Arn/);
      }
      // temp/ for the cleanup of a run; uploads/ for an upload no record waits for (its video was deleted).
      for (const statement of statementsFor('s3:DeleteObject')) {
        expect(JSON.stringify(statement.Resource)).toMatch(/MediaBucket.*"\/(temp|uploads)\/\*"/);
      }
      for (const statement of statementsFor('ecs:RunTask')) {
        expect(JSON.stringify(statement.Resource)).toContain(':task-definition/vidp-dev-transcode:*');
        expect(statement.Condition).toEqual({
          ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [logicalIdOf(vidp.statelessTemplate, 'AWS::ECS::Cluster', 'TranscodeCluster'), 'Arn'] } },
        });
      }
      for (const statement of statementsFor('iam:PassRole')) {
        expect(statement.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
        expect(JSON.stringify(statement.Resource)).toMatch(/TranscodeTaskDefinition(Task|Execution)Role/);
      }
      for (const statement of statementsFor('ecs:TagResource')) {
        expect(statement.Condition).toEqual({ StringEquals: { 'ecs:CreateAction': 'RunTask' } });
        expect(JSON.stringify(statement.Resource)).toMatch(/:task\/",\{"Ref":"TranscodeCluster\w+"\},"\/\*"/);
      }
      for (const statement of statementsFor('events:PutEvents')) {
        expect(statement.Resource).toEqual({ 'Fn::GetAtt': [logicalIdOf(vidp.statelessTemplate, 'AWS::Events::EventBus', 'Events'), 'Arn'] });
      }
    });
  });
});

describe('transcode on Fargate', () => {
  it('runs the worker image on ARM64 with the configured size, logging to CloudWatch', () => {
    vidp.statelessTemplate.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      Cpu: '2048',
      Memory: '4096',
      ContainerDefinitions: [
        Match.objectLike({
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
          Environment: Match.arrayWith([
            { Name: 'MEDIA_BUCKET', Value: Match.anyValue() },
            { Name: 'VIDEOS_TABLE', Value: Match.anyValue() },
            { Name: 'POWERTOOLS_SERVICE_NAME', Value: METRIC_SERVICES.worker },
            { Name: 'POWERTOOLS_METRICS_NAMESPACE', Value: 'vidp/vidp-dev' },
          ]),
        }),
      ],
    });
  });

  it('builds the image from containers/ffmpeg/Dockerfile for linux/arm64, with the repository root as context', () => {
    const manifest = JSON.parse(readFileSync(join(vidp.outdir, `${vidp.stateless.artifactId}.assets.json`), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string; dockerFile: string; platform: string } }>;
    };
    const images = Object.values(manifest.dockerImages);
    expect(images).toHaveLength(1);
    expect(images[0]!.source).toMatchObject({ dockerFile: 'containers/ffmpeg/Dockerfile', platform: 'linux/arm64' });
  });

  it('needs no NAT gateway: two public subnets, tasks get public IPs, nothing can connect in', () => {
    vidp.statelessTemplate.resourceCountIs('AWS::EC2::NatGateway', 0);
    vidp.statelessTemplate.resourceCountIs('AWS::EC2::Subnet', 2);
    vidp.statelessTemplate.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true });
    expect(aslText).toContain('"AssignPublicIp": "ENABLED"');
    vidp.statelessTemplate.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 })],
      SecurityGroupIngress: Match.absent(),
    });
    vidp.statelessTemplate.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it('turns Container Insights on for the cluster', () => {
    vidp.statelessTemplate.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });

  it('gives the cluster both Fargate capacity providers, and runs transcodes on Spot first, pricing Spot at the default discount', () => {
    vidp.statelessTemplate.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: Match.arrayEquals(['FARGATE', 'FARGATE_SPOT']),
      Cluster: { Ref: logicalIdOf(vidp.statelessTemplate, 'AWS::ECS::Cluster', 'TranscodeCluster') },
    });
    expect((stateMachine().DefinitionSubstitutions as Record<string, unknown>).TranscodeCapacityProvider).toBe('FARGATE_SPOT');
    vidp.statelessTemplate.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Environment: Match.arrayWith([{ Name: 'FARGATE_SPOT_DISCOUNT', Value: '0.5' }]) })],
    });
  });

  it('lets the worker do what containers/ffmpeg/src does, and answer only this state machine', () => {
    const taskRoleId = logicalIdOf(vidp.statelessTemplate, 'AWS::IAM::Role', 'TranscodeTaskDefinitionTaskRole');
    const statements = statementsOfRole(vidp.statelessTemplate, taskRoleId);
    expect(new Set(statements.flatMap(actionsOf))).toEqual(
      new Set([
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
        's3:AbortMultipartUpload',
        's3:DeleteObject',
        'dynamodb:UpdateItem',
        'states:SendTaskSuccess',
        'states:SendTaskFailure',
        'states:SendTaskHeartbeat',
      ]),
    );
    const sendTask = statements.find((statement) => actionsOf(statement).includes('states:SendTaskSuccess'))!;
    expect(JSON.stringify(sendTask.Resource)).toContain(':stateMachine:vidp-dev-pipeline');
    // Outputs go to videos/; a segmented encode's working files to temp/, and only there is anything deleted.
    const putResources = statements.filter((statement) => actionsOf(statement).includes('s3:PutObject')).map((statement) => JSON.stringify(statement.Resource));
    expect(putResources).toEqual([expect.stringMatching(/"\/videos\/\*"/), expect.stringMatching(/"\/temp\/\*"/)]);
    const deletes = statements.filter((statement) => actionsOf(statement).includes('s3:DeleteObject'));
    expect(deletes.map((statement) => JSON.stringify(statement.Resource))).toEqual([expect.stringMatching(/"\/temp\/\*"/)]);
  });
});

describe('API', () => {
  /** "GET /videos/{id}" → the Method resource, from the Resource tree of the template. */
  const methodsByRoute = () => {
    const resources = stateless();
    const pathOf = (reference: unknown): string => {
      const ref = (reference as { Ref?: string }).Ref;
      if (ref === undefined) return ''; // Fn::GetAtt RootResourceId
      const resource = resources[ref]!.Properties!;
      return `${pathOf(resource.ParentId)}/${resource.PathPart as string}`;
    };
    return new Map(
      Object.values(resources)
        .filter((resource) => resource.Type === 'AWS::ApiGateway::Method')
        .map((method) => [`${method.Properties!.HttpMethod as string} ${pathOf(method.Properties!.ResourceId)}`, method.Properties!]),
    );
  };

  it.each(API_ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))(
    'serves %s with a Lambda proxy integration of its handler',
    (route, { handler }) => {
      const method = methodsByRoute().get(route);
      expect(method, route).toBeDefined();
      expect(method!.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
      const functionId = logicalIdOf(vidp.statelessTemplate, 'AWS::Lambda::Function', `${pascal(handler)}Function`);
      expect(JSON.stringify(method!.Integration.Uri)).toContain(`"${functionId}"`);
    },
  );

  it('serves the routes under the stage "api", as locally (/api/videos…)', () => {
    vidp.statelessTemplate.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'api' });
  });

  it('throttles the stage, traces it, writes a JSON access log line per request and execution logs for errors', () => {
    const stage = Object.values(stateless()).find((resource) => resource.Type === 'AWS::ApiGateway::Stage')!.Properties!;
    expect(stage.TracingEnabled).toBe(true);
    expect(stage.MethodSettings).toEqual([
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        LoggingLevel: 'ERROR',
        DataTraceEnabled: false,
        ThrottlingRateLimit: expect.any(Number),
        ThrottlingBurstLimit: expect.any(Number),
      }),
    ]);
    expect(stage.AccessLogSetting.DestinationArn).toBeDefined();
    const format = JSON.parse(stage.AccessLogSetting.Format as string) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status', integrationError: '$context.integration.error' });
    // REST stages write no log at all until the account names a CloudWatch role for API Gateway.
    vidp.statelessTemplate.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain' });
  });

  it('requires an API key bound to a usage plan on every route, and none on CORS preflights', () => {
    for (const [route, method] of methodsByRoute()) {
      if (route.startsWith('OPTIONS ')) expect(method.ApiKeyRequired, route).toBe(false);
      else expect(method.ApiKeyRequired, route).toBe(true);
    }
    vidp.statelessTemplate.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    vidp.statelessTemplate.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      ApiStages: [Match.objectLike({ Stage: Match.anyValue() })],
      Throttle: Match.objectLike({ RateLimit: Match.anyValue() }),
    });
    vidp.statelessTemplate.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
  });

  it('answers CORS preflights on every resource with a route', () => {
    const routes = [...methodsByRoute().keys()];
    for (const path of new Set(API_ROUTES.map((route) => route.path))) expect(routes).toContain(`OPTIONS ${path}`);
  });

  it('validates requests at the gateway: path parameters present, JSON bodies objects', () => {
    vidp.statelessTemplate.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestParameters: true,
      ValidateRequestBody: true,
    });
    for (const route of API_ROUTES) {
      const method = methodsByRoute().get(`${route.method} ${route.path}`)!;
      expect(method.RequestValidatorId, route.path).toBeDefined();
      for (const [, name] of route.path.matchAll(/\{(\w+)\}/g)) {
        expect(method.RequestParameters, route.path).toMatchObject({ [`method.request.path.${name}`]: true });
      }
      if (route.body !== undefined) expect(method.RequestModels, route.path).toHaveProperty(['application/json']);
    }
  });

  it('answers gateway-side errors in the API\'s own error shape', () => {
    vidp.statelessTemplate.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'BAD_REQUEST_BODY',
      StatusCode: '400',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code":"validation_failed"') },
    });
  });

  it.each([
    'DEFAULT_4XX',
    'DEFAULT_5XX',
    'MISSING_AUTHENTICATION_TOKEN',
    'INVALID_API_KEY',
    'THROTTLED',
    'QUOTA_EXCEEDED',
    'REQUEST_TOO_LARGE',
    'INTEGRATION_TIMEOUT',
    'BAD_REQUEST_BODY',
  ])('answers the gateway\'s own %s with CORS headers, so a browser can read the error', (type) => {
    const responses = Object.values(vidp.statelessTemplate.findResources('AWS::ApiGateway::GatewayResponse', {
      Properties: { ResponseType: type },
    }));
    expect(responses).toHaveLength(1);
    const properties = responses[0]!.Properties as { ResponseParameters?: Record<string, string>; ResponseTemplates?: Record<string, string> };
    expect(properties.ResponseParameters?.['gatewayresponse.header.Access-Control-Allow-Origin']).toMatch(/^'.+'$|^method\.request\.header\.origin$/);
    expect(properties.ResponseTemplates?.['application/json']).toMatch(/"error":\{"code":"[a-z_]+"/);
  });
});

describe('functions', () => {
  const allFunctions = () => Object.entries(stateless()).filter(([, resource]) => resource.Type === 'AWS::Lambda::Function');
  const functions = () => vidpFunctionsOf(vidp.statelessTemplate);

  it('runs no function but its own, except CDK\'s two handlers of the web page\'s bucket (copy the page in, empty it on delete)', () => {
    const others = allFunctions().filter(([id]) => !functions().some(([own]) => own === id));
    expect(others.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'CustomCDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C',
      'CustomS3AutoDeleteObjectsCustomResourceProviderHandler',
    ]);
  });

  it('runs every function on Node.js 22, ARM64, with JSON logs in its own log group and X-Ray tracing', () => {
    expect(functions().length).toBeGreaterThan(0);
    for (const [id, fn] of functions()) {
      expect(fn.Properties, id).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.stringMatching(/Logs/) } },
      });
    }
  });

  it('creates one function per handler of the route table, plus the workflow tasks and the maintenance ones', () => {
    const expected = [
      ...new Set(API_ROUTES.map((route) => route.handler)),
      ...[...aslText.matchAll(/\$\{(\w+)FunctionArn\}/g)].map((match) => match[1]!.replace(/(?<!^)([A-Z])/g, '-$1').toLowerCase()),
      'cleanup',
      'reconcile-execution',
    ];
    for (const name of expected) {
      expect(() => logicalIdOf(vidp.statelessTemplate, 'AWS::Lambda::Function', `${pascal(name)}Function`), name).not.toThrow();
    }
    expect(functions()).toHaveLength(new Set(expected).size);
  });

  it('gives each function its handler\'s calls and no wildcard action', () => {
    for (const [id] of functions()) {
      const statements = statementsOfRole(vidp.statelessTemplate, logicalIdOf(vidp.statelessTemplate, 'AWS::IAM::Role', `${id.slice(0, -8)}Role`));
      expect(statements.flatMap(actionsOf).filter((action) => action.includes('*')), id).toEqual([]);
      for (const statement of statements.filter((statement) => !isTelemetryStatement(statement))) {
        expect(resourcesOfStatement(statement), id).not.toContain('*');
      }
    }
    const callsOf = (name: string) =>
      new Set(functionRoleStatements(name).filter((statement) => !isTelemetryStatement(statement)).flatMap(actionsOf));
    expect(callsOf('get-video')).toEqual(new Set(['dynamodb:GetItem', 's3:GetObject']));
    expect(callsOf('mark-failed')).toEqual(new Set(['dynamodb:UpdateItem']));
    expect(callsOf('openapi')).toEqual(new Set());
    expect(callsOf('delete-video')).toContain('states:StopExecution');
  });

  it('confines object grants to the prefix the handler uses', () => {
    const getVideoObjects = functionRoleStatements('get-video').find((statement) => actionsOf(statement).includes('s3:GetObject'))!;
    expect(JSON.stringify(getVideoObjects.Resource)).toMatch(/"\/videos\/\*"/);
    const createUploadObjects = functionRoleStatements('create-upload').find((statement) => actionsOf(statement).includes('s3:PutObject'))!;
    expect(JSON.stringify(createUploadObjects.Resource)).toMatch(/"\/uploads\/\*"/);
  });

  it('generates the cursor key in Secrets Manager and tells the list function only where it is', () => {
    vidp.statelessTemplate.resourceCountIs('AWS::SecretsManager::Secret', 1);
    const secretId = logicalIdOf(vidp.statelessTemplate, 'AWS::SecretsManager::Secret', 'CursorSecret');
    expect(stateless()[secretId]!.Properties).toMatchObject({ GenerateSecretString: { PasswordLength: 64 } });
    const listVideos = stateless()[logicalIdOf(vidp.statelessTemplate, 'AWS::Lambda::Function', 'ListVideosFunction')]!;
    expect(listVideos.Properties!.Environment.Variables.CURSOR_SECRET_ARN).toEqual({ Ref: secretId });
  });

  it('lets the list function, and no other, read the cursor key', () => {
    const secretId = logicalIdOf(vidp.statelessTemplate, 'AWS::SecretsManager::Secret', 'CursorSecret');
    const readers = Object.entries(stateless())
      .filter(([, resource]) => resource.Type === 'AWS::IAM::Role')
      .filter(([roleId]) =>
        statementsOfRole(vidp.statelessTemplate, roleId).some((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue')),
      )
      .map(([roleId]) => roleId);
    expect(readers).toEqual([logicalIdOf(vidp.statelessTemplate, 'AWS::IAM::Role', 'ListVideosFunctionRole')]);
    const read = functionRoleStatements('list-videos').find((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue'))!;
    expect(resourcesOfStatement(read)).toEqual([{ Ref: secretId }]);
  });

  it('puts the cursor key in no environment: no function and no container has CURSOR_SECRET or a resolved secret', () => {
    for (const [id, fn] of functions()) expect(fn.Properties!.Environment.Variables, id).not.toHaveProperty('CURSOR_SECRET');
    const template = JSON.stringify(vidp.statelessTemplate.toJSON());
    expect(template).not.toContain('"CURSOR_SECRET"');
    expect(template).not.toMatch(/resolve:secretsmanager/);
  });

  it('names each function as the service of its logs and metrics, in the deployment\'s metrics namespace', () => {
    for (const [id, fn] of functions()) {
      const name = id.replace(/Function[0-9A-F]*$/, '').replace(/(?<!^)([A-Z])/g, '-$1').toLowerCase();
      expect(fn.Properties!.Environment.Variables, id).toMatchObject({
        POWERTOOLS_SERVICE_NAME: name,
        POWERTOOLS_METRICS_NAMESPACE: 'vidp/vidp-dev',
      });
    }
  });

  it.runIf(functionEntryExists('maintenance', 'cleanup'))('runs the cleanup every hour', () => {
    const cleanupId = logicalIdOf(vidp.statelessTemplate, 'AWS::Lambda::Function', 'CleanupFunction');
    vidp.statelessTemplate.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [cleanupId, 'Arn'] } })],
    });
  });
});

describe('the reconciler', () => {
  it('hears Step Functions\' status events of pipeline executions that timed out, were aborted or failed', () => {
    const reconciler = logicalIdOf(vidp.statelessTemplate, 'AWS::Lambda::Function', 'ReconcileExecutionFunction');
    vidp.statelessTemplate.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: Match.arrayEquals(['TIMED_OUT', 'ABORTED', 'FAILED']), stateMachineArn: [{ Ref: Match.stringLikeRegexp('StateMachine') }] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [reconciler, 'Arn'] } })],
    });
  });

  it('runs with the hourly cleanup too, which may ask Step Functions about the pipeline\'s executions', () => {
    const cleanup = logicalIdOf(vidp.statelessTemplate, 'AWS::Lambda::Function', 'CleanupFunction');
    vidp.statelessTemplate.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [cleanup, 'Arn'] } })],
    });
    const statements = statementsOfRole(vidp.statelessTemplate, logicalIdOf(vidp.statelessTemplate, 'AWS::IAM::Role', 'CleanupFunctionRole'));
    expect(statements.some((statement) => [statement.Action].flat().includes('states:DescribeExecution'))).toBe(true);
  });
});

describe('operations', () => {
  it('puts executions, transcode duration, API errors and latency, and Lambda errors on one dashboard', () => {
    const dashboard = Object.values(stateless()).find((resource) => resource.Type === 'AWS::CloudWatch::Dashboard')!;
    const body = JSON.stringify(dashboard.Properties!.DashboardBody);
    const metrics = ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'TranscodeDuration', '4XXError', '5XXError', 'Latency', 'Errors'];
    for (const metric of metrics) expect(body).toContain(metric);
  });

  it('graphs the EMF metrics the functions and the worker print, in their namespace and with their service', () => {
    const dashboard = Object.values(stateless()).find((resource) => resource.Type === 'AWS::CloudWatch::Dashboard')!;
    // The body is a Fn::Join around the region token; the widgets are JSON once it is filled in.
    const parts = dashboard.Properties!.DashboardBody['Fn::Join'][1] as unknown[];
    const body = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'REGION')).join('')) as {
      widgets: { properties: { metrics?: unknown[][] } }[];
    };
    const graphed = body.widgets.flatMap((widget) => widget.properties.metrics ?? []);
    const namespace = 'vidp/vidp-dev';
    for (const [metric, service] of [
      [METRIC_NAMES.videosCreated, METRIC_SERVICES.createUpload],
      [METRIC_NAMES.uploadBytes, METRIC_SERVICES.createUpload],
      [METRIC_NAMES.videosSaved, METRIC_SERVICES.worker],
      [METRIC_NAMES.encodeSecondsPerOutputMinute, METRIC_SERVICES.worker],
    ]) {
      expect(graphed, metric).toContainEqual(expect.arrayContaining([namespace, metric, 'service', service]));
    }
    const expressions = graphed.map((line) => (line[0] as { expression?: string }).expression).filter(Boolean);
    expect(expressions).toContain(`SEARCH('{"${namespace}",code,service} MetricName="${METRIC_NAMES.videosFailed}"', 'Sum', 300)`);
  });

  it('counts the worker\'s timings from its Powertools log lines', () => {
    vidp.statelessTemplate.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.message = "job succeeded" }',
      MetricTransformations: [Match.objectLike({ MetricName: 'TranscodeDuration', MetricNamespace: 'vidp/vidp-dev' })],
    });
  });

  it('alarms on failed executions, stuck executions, undelivered upload events and API 5xx, and notifies a topic', () => {
    const alarms = Object.values(stateless()).filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm');
    const described = alarms.map((alarm) => JSON.stringify(alarm.Properties));
    expect(described.some((alarm) => alarm.includes('"MetricName":"ExecutionsFailed"'))).toBe(true);
    expect(described.some((alarm) => alarm.includes('ExecutionsTimedOut') && alarm.includes('ExecutionsAborted'))).toBe(true);
    expect(described.some((alarm) => alarm.includes('ApproximateNumberOfMessagesVisible'))).toBe(true);
    expect(described.some((alarm) => alarm.includes('"MetricName":"5XXError"'))).toBe(true);
    for (const alarm of alarms) expect(alarm.Properties!.AlarmActions).toHaveLength(1);
  });

  it('creates the vidp event bus the workflow publishes VideoSaved / VideoFailed on', () => {
    vidp.statelessTemplate.hasResourceProperties('AWS::Events::EventBus', { Name: 'vidp-dev-events' });
  });
});

describe('cdk-nag (AWS Solutions) and CDK annotations', () => {
  it('reports no finding that is not acknowledged', () => {
    const findings = findingsOf(vidp.validationReport);
    expect(findings).toEqual([]);
  });

  it('leaves no warning or error annotation on either stack', () => {
    for (const stack of [vidp.stateful, vidp.stateless]) {
      const annotations = Annotations.fromStack(stack);
      expect(annotations.findError('*', Match.anyValue())).toEqual([]);
      expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
    }
  });

  it('gives every acknowledgement a reason a reviewer can check', () => {
    expect(vidp.acknowledgements.length).toBeGreaterThan(0);
    for (const { path, id, reason } of vidp.acknowledgements) {
      expect(reason.length, `${id} at ${path}`).toBeGreaterThanOrEqual(40);
    }
  });
});
