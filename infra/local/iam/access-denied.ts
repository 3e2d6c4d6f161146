import { randomBytes, randomUUID } from 'node:crypto';

/**
 * A refused call, and the shapes AWS gives a refusal: each service's error on the wire (what an SDK client of
 * the local stand-in parses into AccessDenied / AccessDeniedException) and the Error and Cause Step Functions
 * reports when a Task's own call is refused (what Retry and Catch match).
 */
export interface AccessDenial {
  action: string;
  resource: string;
  roleName: string;
  /** `arn:aws:sts::{account}:assumed-role/{role}/{session}`: who AWS says was refused. */
  principalArn: string;
  /** No statement allows it, or one denies it. */
  reason: 'no-allow' | 'explicit-deny';
}

export class AccessDeniedError extends Error {
  override readonly name = 'AccessDeniedError';
  readonly denial: AccessDenial;

  constructor(denial: AccessDenial) {
    super(accessDeniedMessage(denial));
    this.denial = denial;
  }
}

/**
 * IAM's wording, as services put it in their messages since 2021–2023:
 * "User: arn:aws:sts::…:assumed-role/R/S is not authorized to perform: dynamodb:PutItem on resource: arn:…
 * because no identity-based policy allows the dynamodb:PutItem action". S3 puts the ARN in quotes.
 */
export function accessDeniedMessage(denial: AccessDenial, options: { quoteResource?: boolean } = {}): string {
  const resource = options.quoteResource ? `"${denial.resource}"` : denial.resource;
  const why =
    denial.reason === 'explicit-deny'
      ? 'with an explicit deny in an identity-based policy'
      : `because no identity-based policy allows the ${denial.action} action`;
  return `User: ${denial.principalArn} is not authorized to perform: ${denial.action} on resource: ${resource} ${why}`;
}

// ---- on the wire --------------------------------------------------------------------------------------

export interface ServiceErrorResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** S3: 403 with an XML `<Error>`; a HEAD request gets the status alone (S3 sends no body to HEAD). */
export function s3AccessDeniedResponse(
  denial: AccessDenial,
  options: { method?: string; requestId?: string } = {},
): ServiceErrorResponse {
  const requestId = options.requestId ?? randomBytes(8).toString('hex').toUpperCase();
  const hostId = randomBytes(32).toString('base64');
  const headers = { 'content-type': 'application/xml', 'x-amz-request-id': requestId, 'x-amz-id-2': hostId };
  if (options.method?.toUpperCase() === 'HEAD') return { statusCode: 403, headers, body: '' };
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>AccessDenied</Code><Message>${xmlEscape(accessDeniedMessage(denial, { quoteResource: true }))}</Message>` +
    `<RequestId>${requestId}</RequestId><HostId>${hostId}</HostId></Error>`;
  return { statusCode: 403, headers, body };
}

/** The JSON-protocol services the local cloud stands in for, as each answers a refusal. */
const JSON_SERVICES = {
  // awsJson1_0; the coral type and the capitalised Message are what DynamoDB and Step Functions send.
  dynamodb: { statusCode: 400, contentType: 'application/x-amz-json-1.0', type: 'com.amazon.coral.service#AccessDeniedException' },
  states: { statusCode: 400, contentType: 'application/x-amz-json-1.0', type: 'com.amazon.coral.service#AccessDeniedException' },
  // awsJson1_1
  ecs: { statusCode: 400, contentType: 'application/x-amz-json-1.1', type: 'AccessDeniedException' },
  events: { statusCode: 400, contentType: 'application/x-amz-json-1.1', type: 'AccessDeniedException' },
  // restJson1: Lambda answers 403 and names the error in a header.
  lambda: { statusCode: 403, contentType: 'application/json', type: 'AccessDeniedException' },
} as const;

export type JsonService = keyof typeof JSON_SERVICES;

export function jsonAccessDeniedResponse(
  denial: AccessDenial,
  service: JsonService,
  options: { requestId?: string } = {},
): ServiceErrorResponse {
  const { statusCode, contentType, type } = JSON_SERVICES[service];
  const message = accessDeniedMessage(denial);
  const body = service === 'lambda' ? { Type: 'User', Message: message } : { __type: type, Message: message };
  return {
    statusCode,
    headers: {
      'content-type': contentType,
      'x-amzn-requestid': options.requestId ?? randomUUID(),
      'x-amzn-errortype': 'AccessDeniedException',
    },
    body: JSON.stringify(body),
  };
}

// ---- in a Task state ------------------------------------------------------------------------------------

export interface TaskFailure {
  /** What Retry / Catch `ErrorEquals` match. */
  error: string;
  cause: string;
}

/**
 * How Step Functions reports a Task whose own call IAM refused. Step Functions runs its integrations with
 * the AWS SDK for Java and names a failure `<Service>.<exception class>`; a service error the SDK has no class
 * for is named after the service's base exception class. The Cause is the service's message followed by the
 * SDK's details, `(Service: …; Status Code: …; Error Code: AccessDeniedException; Request ID: …; Proxy: null)`.
 *
 * - Lambda: `Lambda.AWSLambdaException`, seen in execution histories with this exact Cause
 *   (awslabs/aws-deployment-framework#460, aws-samples/lambda-refarch-imagerecognition#19).
 * - ECS: `ECS.AccessDeniedException` (ECS models the exception; terraform-aws-modules/terraform-aws-step-functions#24),
 *   Cause "(Service: AmazonECS; Status Code: 400; Error Code: AccessDeniedException; …)" for a refused
 *   iam:PassRole (serverless-operations/serverless-step-functions#189).
 * - DynamoDB: `DynamoDB.AmazonDynamoDBException`. Assumption, from the rule above: the Java SDK's DynamoDB
 *   model has no AccessDeniedException class (as it has none for ThrottlingException, which Step Functions
 *   documents as reported this way); no execution history with this exact pair was found. LocalStack
 *   reports `DynamoDB.AccessDeniedException` instead, from the error code, without IAM enforcement behind it.
 * - EventBridge: `EventBridge.AmazonEventBridgeException`. Assumption, by the same rule.
 * - AWS SDK integrations (`aws-sdk:s3:…`): `<Service>.<ErrorCode>Exception`, as the Step Functions guide
 *   ("AWS SDK service integrations") says every SDK-integration error name ends in Exception, so S3's
 *   AccessDenied is `S3.AccessDeniedException`; the Cause follows the Java SDK v2 format.
 */
export function taskFailureForDenial(denial: AccessDenial, taskResource: string, requestId: string = randomUUID()): TaskFailure {
  const message = accessDeniedMessage(denial);
  const optimized = (error: string, service: string, status: number): TaskFailure => ({
    error,
    cause: `${message} (Service: ${service}; Status Code: ${status}; Error Code: AccessDeniedException; Request ID: ${requestId}; Proxy: null)`,
  });
  const integration = /^arn:aws:states:::([a-z0-9-]+):([A-Za-z0-9]+)(?::([A-Za-z0-9]+))?/.exec(taskResource);
  const [, service, operation, sdkAction] = integration ?? [];
  if (service === 'dynamodb') return optimized('DynamoDB.AmazonDynamoDBException', 'AmazonDynamoDBv2', 400);
  if (service === 'lambda') return optimized('Lambda.AWSLambdaException', 'AWSLambda', 403);
  if (service === 'ecs') return optimized('ECS.AccessDeniedException', 'AmazonECS', 400);
  if (service === 'events') return optimized('EventBridge.AmazonEventBridgeException', 'AmazonEventBridge', 400);
  const sdkService = service === 'aws-sdk' && sdkAction !== undefined ? SDK_SERVICE_NAMES[operation!] : undefined;
  if (sdkService !== undefined) {
    const isS3 = operation === 's3';
    const detail = isS3 ? accessDeniedMessage(denial, { quoteResource: true }) : message;
    return {
      error: `${sdkService}.AccessDeniedException`,
      cause: `${detail} (Service: ${sdkService}, Status Code: ${isS3 ? 403 : 400}, Request ID: ${requestId})`,
    };
  }
  throw new Error(`No known Step Functions error for a refused call of the Task resource ${taskResource}`);
}

/** Service names as Step Functions spells them in SDK-integration errors (PascalCase; connect-ddb.html: `DynamoDb`). */
const SDK_SERVICE_NAMES: Record<string, string> = { s3: 'S3', dynamodb: 'DynamoDb', sfn: 'Sfn', ecs: 'Ecs', eventbridge: 'EventBridge' };

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
