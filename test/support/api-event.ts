import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

/** An API Gateway REST proxy event, as the gateway (local or AWS) sends it. */
export function apiEvent(overrides: Partial<APIGatewayProxyEvent> & { json?: unknown } = {}): APIGatewayProxyEvent {
  const { json, ...rest } = overrides;
  return {
    resource: '/',
    path: '/',
    httpMethod: 'GET',
    headers: json === undefined ? {} : { 'Content-Type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    isBase64Encoded: false,
    body: json === undefined ? null : JSON.stringify(json),
    requestContext: { requestId: 'req-123', stage: 'api' } as APIGatewayProxyEvent['requestContext'],
    ...rest,
  };
}

export const lambdaContext = { awsRequestId: 'lambda-req', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
