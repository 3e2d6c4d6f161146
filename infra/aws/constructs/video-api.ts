import { CfnOutput, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  Cors,
  EndpointType,
  JsonSchemaType,
  LambdaIntegration,
  LogGroupLogDestination,
  Method,
  MethodLoggingLevel,
  ResponseType,
  RestApi,
  type IModel,
  type RequestValidator,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { API_BASE_PATH, type ApiRoute } from '../../../functions/api/routes.ts';
import { API_CORS_PREFLIGHT } from '../../shared/resources.ts';
import type { DeployConfig } from '../deploy-config.ts';

export interface VideoApiProps {
  apiName: string;
  routes: readonly ApiRoute[];
  /** The function serving each route's `handler`. */
  handlers: Readonly<Record<string, IFunction>>;
  allowedOrigins: string[];
  auth: DeployConfig['apiAuth'];
  logRetention: RetentionDays;
  logRemovalPolicy: RemovalPolicy;
}

/** Requests per second (and burst) for the whole stage: far above what a video service needs, low enough to cap a runaway client's cost. */
const STAGE_THROTTLE = { rateLimit: 50, burstLimit: 100 };

/**
 * The REST API: one resource + method per route of functions/api/routes.ts, each a Lambda proxy
 * integration of its handler, under the stage `api` (so paths are /api/videos… as locally).
 */
export class VideoApi extends Construct {
  readonly restApi: RestApi;
  readonly methods: Method[] = [];

  constructor(scope: Construct, id: string, props: VideoApiProps) {
    super(scope, id);
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: props.logRemovalPolicy });

    this.restApi = new RestApi(this, 'RestApi', {
      restApiName: props.apiName,
      description: 'vidp: create videos, upload them straight to S3, follow their processing, play them back',
      endpointTypes: [EndpointType.REGIONAL],
      // API Gateway writes any log to CloudWatch (access logs too) only once the region's account settings
      // name a role for it. Kept when the stack goes: other APIs in the account may log through it.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: API_BASE_PATH.replace(/^\//, ''),
        throttlingRateLimit: STAGE_THROTTLE.rateLimit,
        throttlingBurstLimit: STAGE_THROTTLE.burstLimit,
        tracingEnabled: true,
        // Execution logs for failures only (request bodies are never logged); the access log has every request.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: ACCESS_LOG_FORMAT,
      },
      defaultCorsPreflightOptions: {
        allowOrigins: props.allowedOrigins.includes('*') ? Cors.ALL_ORIGINS : props.allowedOrigins,
        allowHeaders: [...API_CORS_PREFLIGHT.allowHeaders],
        maxAge: Duration.seconds(API_CORS_PREFLIGHT.maxAgeSeconds),
        statusCode: API_CORS_PREFLIGHT.statusCode,
      },
    });
    addErrorResponses(this.restApi, props.allowedOrigins);

    const validator = this.restApi.addRequestValidator('ParametersAndBody', {
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    // The handlers validate every field with zod; the gateway only turns away what is not even a JSON object.
    const jsonObject = this.restApi.addModel('JsonObject', {
      contentType: 'application/json',
      schema: { type: JsonSchemaType.OBJECT },
    });

    for (const route of props.routes) {
      const handler = props.handlers[route.handler];
      if (handler === undefined) throw new Error(`No function for handler ${route.handler} (${route.method} ${route.path})`);
      this.methods.push(this.addRoute(route, handler, { validator, jsonObject, auth: props.auth }));
    }

    if (props.auth === 'apiKey') this.addApiKey();
    this.acknowledgeFindings(props.auth);
  }

  private addRoute(
    route: ApiRoute,
    handler: IFunction,
    options: { validator: RequestValidator; jsonObject: IModel; auth: VideoApiProps['auth'] },
  ): Method {
    const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
    return this.restApi.root.resourceForPath(route.path).addMethod(
      route.method,
      // allowTestInvoke: false keeps each function's resource policy to the deployed stage.
      new LambdaIntegration(handler, { proxy: true, allowTestInvoke: false }),
      {
        operationName: route.operationId,
        authorizationType: options.auth === 'iam' ? AuthorizationType.IAM : AuthorizationType.NONE,
        apiKeyRequired: options.auth === 'apiKey',
        requestValidator: options.validator,
        requestParameters: Object.fromEntries(pathParameters.map((name) => [`method.request.path.${name}`, true])),
        ...(route.body !== undefined ? { requestModels: { 'application/json': options.jsonObject } } : {}),
      },
    );
  }

  private addApiKey(): void {
    const key = this.restApi.addApiKey('ApiKey', { description: 'vidp clients: send it as the x-api-key header' });
    const plan = this.restApi.addUsagePlan('UsagePlan', {
      description: 'vidp clients',
      throttle: STAGE_THROTTLE,
      apiStages: [{ api: this.restApi, stage: this.restApi.deploymentStage }],
    });
    plan.addApiKey(key);
    new CfnOutput(this, 'ApiKeyId', {
      value: key.keyId,
      description: 'aws apigateway get-api-key --include-value --api-key <this id> prints the key',
    });
  }

  private acknowledgeFindings(auth: VideoApiProps['auth']): void {
    Validations.of(this.restApi.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'No WAF web ACL by default (about $6/month before any request): the stage is throttled and every route needs an ' +
        'API key or SigV4. Put a web ACL in front when the API faces untrusted traffic at scale.',
    });
    Validations.of(this.restApi.node.findChild('CloudWatchRole')).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'The AWS-managed policy made for exactly this role: API Gateway\'s account-level permission to write logs ' +
        '(it is what the API Gateway console attaches too).',
    });
    // cdk-nag counts an API key as no authorization and wants Cognito even with IAM; CORS preflights carry
    // no credentials by design.
    for (const method of this.restApi.methods) {
      if (method.httpMethod === 'OPTIONS') {
        const reason = 'CORS preflight (OPTIONS) is answered by API Gateway itself, and browsers send it without credentials.';
        Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason });
        Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason });
      } else if (auth === 'apiKey') {
        const reason =
          'Callers authenticate with an API key bound to a usage plan (context apiAuth=apiKey, the default); deploy with ' +
          '-c apiAuth=iam for SigV4-signed requests.';
        Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason });
        Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason });
      } else {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-COG4',
          reason: 'Callers sign requests with SigV4 (AWS_IAM authorization, context apiAuth=iam): IAM identities, not a Cognito user pool.',
        });
      }
    }
  }
}

/** One JSON line per request, with what a 5xx needs explained (the integration's error and status). */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    extendedRequestId: '$context.extendedRequestId',
    requestTime: '$context.requestTime',
    ip: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    apiKeyId: '$context.identity.apiKeyId',
    caller: '$context.identity.caller',
    httpMethod: '$context.httpMethod',
    resourcePath: '$context.resourcePath',
    path: '$context.path',
    status: '$context.status',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationStatus: '$context.integration.status',
    integrationLatency: '$context.integration.latency',
    integrationError: '$context.integration.error',
    errorType: '$context.error.responseType',
    errorMessage: '$context.error.message',
    validationError: '$context.error.validationErrorString',
    xrayTraceId: '$context.xrayTraceId',
  }),
);

/**
 * Errors API Gateway answers by itself (before any Lambda runs), in the API's own error shape
 * ({error: {code, message}, request_id}) and with CORS headers: without them a browser sees only an opaque
 * CORS failure instead of the reason (a missing API key, throttling, a body too large, a timeout).
 */
const GATEWAY_ERROR_RESPONSES: readonly { id: string; type: ResponseType; statusCode?: string; code: string }[] = [
  { id: 'BadRequestBody', type: ResponseType.BAD_REQUEST_BODY, statusCode: '400', code: 'validation_failed' },
  { id: 'BadRequestParameters', type: ResponseType.BAD_REQUEST_PARAMETERS, statusCode: '400', code: 'validation_failed' },
  { id: 'RequestTooLarge', type: ResponseType.REQUEST_TOO_LARGE, statusCode: '413', code: 'payload_too_large' },
  { id: 'ApiKeyMissingOrUnknownRoute', type: ResponseType.MISSING_AUTHENTICATION_TOKEN, statusCode: '403', code: 'forbidden' },
  { id: 'InvalidApiKey', type: ResponseType.INVALID_API_KEY, statusCode: '403', code: 'forbidden' },
  { id: 'AccessDenied', type: ResponseType.ACCESS_DENIED, statusCode: '403', code: 'forbidden' },
  { id: 'InvalidSignature', type: ResponseType.INVALID_SIGNATURE, statusCode: '403', code: 'forbidden' },
  { id: 'ExpiredToken', type: ResponseType.EXPIRED_TOKEN, statusCode: '403', code: 'forbidden' },
  { id: 'Throttled', type: ResponseType.THROTTLED, statusCode: '429', code: 'throttled' },
  { id: 'QuotaExceeded', type: ResponseType.QUOTA_EXCEEDED, statusCode: '429', code: 'throttled' },
  { id: 'IntegrationTimeout', type: ResponseType.INTEGRATION_TIMEOUT, statusCode: '504', code: 'internal_error' },
  { id: 'Default4xx', type: ResponseType.DEFAULT_4XX, code: 'bad_request' },
  { id: 'Default5xx', type: ResponseType.DEFAULT_5XX, code: 'internal_error' },
];

/**
 * The Access-Control-Allow-Origin a gateway response carries. A gateway response cannot choose among
 * origins, so with several allowed it echoes the caller's: it only ever carries a generic error.
 */
function gatewayResponseCorsHeaders(allowedOrigins: readonly string[]): Record<string, string> {
  const origin =
    allowedOrigins.includes('*') ? "'*'" : allowedOrigins.length === 1 ? `'${allowedOrigins[0]}'` : 'method.request.header.origin';
  return { 'Access-Control-Allow-Origin': origin, Vary: "'Origin'" };
}

function addErrorResponses(api: RestApi, allowedOrigins: readonly string[]): void {
  const responseHeaders = gatewayResponseCorsHeaders(allowedOrigins);
  for (const response of GATEWAY_ERROR_RESPONSES) {
    api.addGatewayResponse(response.id, {
      type: response.type,
      ...(response.statusCode === undefined ? {} : { statusCode: response.statusCode }),
      responseHeaders,
      templates: {
        'application/json': `{"error":{"code":"${response.code}","message":$context.error.messageString},"request_id":"$context.requestId"}`,
      },
    });
  }
}
