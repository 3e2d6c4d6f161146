import { Readable } from 'node:stream';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { LOCAL_ADMIN, LocalCredentialRegistry } from '../../infra/local/iam/credentials.ts';
import { AwsJsonError, verifyJsonRequestSignature } from '../../infra/local/iam/json-request-signature.ts';
import { assertPoliciesNameLocalResources, type LocalResourceNames } from '../../infra/local/iam/local-access.ts';
import type { LocalIamModel } from '../../infra/local/iam/synthesized-policies.ts';
import type { SignedRequest } from '../../infra/local/sigv4.ts';

describe('the local credential registry', () => {
  it('issues one temporary key pair with a session token per role session, and knows who holds it', () => {
    const registry = new LocalCredentialRegistry();

    const worker = registry.issue('vidp-transcode-task-role', 'task-1');
    const again = registry.issue('vidp-transcode-task-role', 'task-1');
    const other = registry.issue('vidp-transcode-task-role', 'task-2');

    expect(worker.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(again).toBe(worker);
    expect(other.accessKeyId).not.toBe(worker.accessKeyId);
    expect(registry.lookupSecret(worker.accessKeyId)).toBe(worker.secretAccessKey);
    expect(registry.identify(worker.accessKeyId, worker.sessionToken)).toEqual({ kind: 'role', roleName: 'vidp-transcode-task-role', sessionName: 'task-1' });
  });

  it('refuses a role key without its own session token, and knows no key it did not issue', () => {
    const registry = new LocalCredentialRegistry();
    const [a, b] = [registry.issue('role-a', 'session'), registry.issue('role-b', 'session')];

    expect(registry.identify(a.accessKeyId, undefined)).toBe('invalid-token');
    expect(registry.identify(a.accessKeyId, b.sessionToken)).toBe('invalid-token');
    expect(registry.identify('ASIANOBODY0000000000', undefined)).toBe('unknown-key');
    expect(registry.lookupSecret('ASIANOBODY0000000000')).toBeUndefined();
  });

  it('knows the administrator’s long-term key, which needs no session token', () => {
    const registry = new LocalCredentialRegistry({ accessKeyId: 'AKIAADMIN', secretAccessKey: 'admin-secret' });

    expect(registry.identify('AKIAADMIN', undefined)).toBe(LOCAL_ADMIN);
  });
});

describe('SigV4 of the JSON-protocol services', () => {
  const registry = new LocalCredentialRegistry();
  const credentials = registry.issue('vidp-get-video-role', 'vidp-get-video');
  const options = { service: 'dynamodb', region: 'us-east-1', lookupSecret: registry.lookupSecret };

  /** What DynamoDBClient puts on the wire for a GetItem, captured instead of sent. */
  async function signedGetItem(signer = credentials, region = 'us-east-1'): Promise<{ request: SignedRequest; body: Buffer }> {
    let captured: { method: string; path: string; headers: Record<string, string>; body: Uint8Array } | undefined;
    const client = new DynamoDBClient({
      region,
      endpoint: 'http://127.0.0.1:8000',
      credentials: signer,
      requestHandler: {
        handle: async (request: NonNullable<typeof captured>) => {
          captured = request;
          return { response: { statusCode: 200, headers: {}, body: Readable.from([Buffer.from('{}')]) } };
        },
      } as never,
    });
    await client.send(new GetItemCommand({ TableName: 'videos', Key: { id: { S: 'a' } } })).catch(() => undefined);
    if (captured === undefined) throw new Error('the SDK sent nothing');
    const headers = Object.fromEntries(Object.entries(captured.headers).map(([name, value]) => [name.toLowerCase(), value]));
    return { request: { method: captured.method, path: captured.path, rawQuery: '', headers }, body: Buffer.from(captured.body.buffer, captured.body.byteOffset, captured.body.byteLength) };
  }

  async function refusal(verification: Promise<unknown>): Promise<string> {
    const error = await verification.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    if (!(error instanceof AwsJsonError)) throw new Error(`expected an AwsJsonError, got ${String(error)}`);
    return error.type;
  }

  it('accepts what the SDK signed, and names the key and the session token', async () => {
    const { request, body } = await signedGetItem();

    expect(await verifyJsonRequestSignature(request, body, options)).toEqual({
      accessKeyId: credentials.accessKeyId,
      sessionToken: credentials.sessionToken,
    });
  });

  it('refuses a body changed after signing, and a secret that is not the key’s, as InvalidSignatureException', async () => {
    const { request, body } = await signedGetItem();
    const guessed = await signedGetItem({ ...credentials, secretAccessKey: 'guessed' });

    expect(await refusal(verifyJsonRequestSignature(request, Buffer.from(body.toString().replace('"a"', '"b"')), options))).toBe('InvalidSignatureException');
    expect(await refusal(verifyJsonRequestSignature(guessed.request, guessed.body, options))).toBe('InvalidSignatureException');
  });

  it('refuses a signature for another service or region, an unknown key, a request too far from the clock, and no signature at all', async () => {
    const { request, body } = await signedGetItem();
    const stranger = await signedGetItem({ accessKeyId: 'AKIASTRANGER', secretAccessKey: 'x' });
    const elsewhere = await signedGetItem(credentials, 'eu-west-1');
    const { authorization: _authorization, ...unsignedHeaders } = request.headers;

    expect(await refusal(verifyJsonRequestSignature(request, body, { ...options, service: 'states' }))).toBe('InvalidSignatureException');
    expect(await refusal(verifyJsonRequestSignature(elsewhere.request, elsewhere.body, options))).toBe('InvalidSignatureException');
    expect(await refusal(verifyJsonRequestSignature(stranger.request, stranger.body, options))).toBe('UnrecognizedClientException');
    expect(await refusal(verifyJsonRequestSignature(request, body, { ...options, now: new Date(Date.now() + 16 * 60_000) }))).toBe('InvalidSignatureException');
    expect(await refusal(verifyJsonRequestSignature({ ...request, headers: unsignedHeaders }, body, options))).toBe('MissingAuthenticationTokenException');
  });
});

describe('the names the policies spell', () => {
  const model = {
    principals: { functions: { 'mark-failed': { arn: 'arn:aws:lambda:us-east-1:000000000000:function:vidp-mark-failed' } } },
    resources: {
      mediaBucket: { name: 'media' },
      videosTable: { name: 'videos' },
      stateMachine: { arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:vidp-dev-pipeline' },
      cluster: { arn: 'arn:aws:ecs:us-east-1:000000000000:cluster/local' },
      taskDefinition: { arn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/vidp-dev-transcode:1' },
      eventBus: { name: 'vidp-dev-events' },
    },
  } as unknown as LocalIamModel;
  const local: LocalResourceNames = {
    bucket: 'media',
    table: 'videos',
    stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:vidp-dev-pipeline',
    clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/local',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/vidp-dev-transcode:1',
    eventBusName: 'vidp-dev-events',
    functionArns: ['arn:aws:lambda:us-east-1:000000000000:function:vidp-mark-failed'],
  };

  it('lets the local cloud start when its resources carry the names the policies spell', () => {
    expect(() => assertPoliciesNameLocalResources(model, local)).not.toThrow();
  });

  it('stops the start naming each resource the policies name otherwise', () => {
    expect(() => assertPoliciesNameLocalResources(model, { ...local, stateMachineArn: `${local.stateMachineArn}-old`, eventBusName: 'vidp-local-events' })).toThrow(
      /the state machine: policies say .*:stateMachine:vidp-dev-pipeline, the local cloud has .*vidp-dev-pipeline-old\n {2}the event bus: policies say vidp-dev-events, the local cloud has vidp-local-events/,
    );
  });
});
