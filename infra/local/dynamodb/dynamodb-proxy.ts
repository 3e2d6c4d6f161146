import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudLog } from '../cloud-log.ts';
import { jsonAccessDeniedResponse } from '../iam/access-denied.ts';
import type { AuthorizationRequest } from '../iam/authorizer.ts';
import type { LocalPrincipal } from '../iam/credentials.ts';
import { AwsJsonError } from '../iam/json-request-signature.ts';
import type { JsonEndpointAccess } from '../iam/local-access.ts';
import { requiredActionsForDynamoDb, UnmodelledCallError, type DynamoDbCall } from '../iam/required-actions.ts';
import { readBody, writeAwsJson } from '../json.ts';
import { signedRequestOf } from '../sigv4.ts';

/**
 * DynamoDB's front door, in front of dynalite (which checks nothing): each request's SigV4 signature is
 * verified as DynamoDB verifies it (scoped to `dynamodb` and the region, over the whole body), and its
 * operation (X-Amz-Target) authorized for the signer's role on the table or index it names; only then is it
 * passed on to dynalite, whose answer goes back as it is. A refusal is DynamoDB's: 400
 * AccessDeniedException, which the SDK raises as an error of that name.
 */
export interface DynamoDbProxy {
  endpoint: string;
  stop(): Promise<void>;
}

const TARGET_PREFIX = 'DynamoDB_20120810.';
/** DynamoDB's request size limit. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
const CORAL = 'com.amazon.coral.service#';

export async function startDynamoDbProxy(options: { target: string; access: JsonEndpointAccess; logger?: CloudLog }): Promise<DynamoDbProxy> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request, MAX_REQUEST_BYTES);
    let principal: LocalPrincipal;
    try {
      principal = await options.access.authenticateJson(signedRequestOf(request), body, 'dynamodb');
    } catch (error) {
      if (!(error instanceof AwsJsonError)) throw error;
      return replyError(response, error.statusCode, `${CORAL}${error.type}`, error.message);
    }
    if (principal.kind === 'role') {
      const operation = String(request.headers['x-amz-target'] ?? '').slice(TARGET_PREFIX.length);
      let requests: AuthorizationRequest[];
      try {
        requests = requiredActionsForDynamoDb(operation, JSON.parse(body.toString('utf8')) as DynamoDbCall, options.access.account);
      } catch (error) {
        if (error instanceof SyntaxError) return replyError(response, 400, `${CORAL}SerializationException`, 'Start of structure or map found where not expected');
        if (!(error instanceof UnmodelledCallError)) throw error;
        options.logger?.(`[dynamodb] ${error.message}`);
        return replyError(response, 500, `${CORAL}InternalFailure`, error.message);
      }
      const result = await options.access.authorize(principal, requests);
      if (!result.allowed) {
        const denied = jsonAccessDeniedResponse(result.denial, 'dynamodb');
        response.writeHead(denied.statusCode, denied.headers).end(denied.body);
        return;
      }
    }
    await forward(request, body, response);
  }

  function forward(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    return new Promise((resolve, reject) => {
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers, agent },
        (answer) => {
          response.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(response);
          answer.once('end', resolve);
          answer.once('error', reject);
        },
      );
      upstream.once('error', reject);
      upstream.end(body);
    });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.logger?.(`[dynamodb] ${String(error)}`);
      if (!response.headersSent) replyError(response, 500, `${CORAL}InternalFailure`, 'The local DynamoDB failed');
      else response.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}


function replyError(response: ServerResponse, statusCode: number, type: string, message: string): void {
  writeAwsJson(response, statusCode, { __type: type, message }, { protocolVersion: '1.0' });
}
