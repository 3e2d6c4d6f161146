import { GetSecretValueCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dynamodb } from '../../functions/core/clients.ts';
import { ConfigError, loadCursorSecretConfig } from '../../functions/core/config.ts';
import { cursorSecretReader, secretsManager } from '../../functions/core/cursor-secret.ts';
import { decodeCursor } from '../../functions/core/cursor.ts';
import { apiEvent, lambdaContext } from '../support/api-event.ts';

const key = 'k'.repeat(64);
const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:CursorSecret-AbCdEf';
const sm = mockClient(secretsManager);
beforeEach(() => sm.reset());

describe('where the cursor key comes from', () => {
  it('is Secrets Manager when the function is given the secret\'s ARN (on AWS)', () => {
    expect(loadCursorSecretConfig({ CURSOR_SECRET_ARN: secretArn, AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' })).toEqual({
      source: 'secrets-manager',
      secretId: secretArn,
    });
  });

  it('is the environment when the key itself is given (the local cloud, the tests)', () => {
    expect(loadCursorSecretConfig({ CURSOR_SECRET: key })).toEqual({ source: 'environment', secret: key });
  });

  it('is never the environment inside Lambda: a deployment cannot fall back to a key in plain text', () => {
    expect(() => loadCursorSecretConfig({ CURSOR_SECRET: key, AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' })).toThrow(
      /CURSOR_SECRET: not accepted in Lambda/,
    );
  });

  it('must be one place: neither, or both, is a configuration error naming the variables', () => {
    expect(() => loadCursorSecretConfig({})).toThrow(/CURSOR_SECRET_ARN: required/);
    expect(() => loadCursorSecretConfig({ CURSOR_SECRET: key, CURSOR_SECRET_ARN: secretArn })).toThrow(/not both/);
    expect(() => loadCursorSecretConfig({ CURSOR_SECRET: 'short' })).toThrow(/CURSOR_SECRET: must be at least 32 characters/);
  });
});

describe('reading the cursor key from Secrets Manager', () => {
  it('asks for the secret once and keeps it while it is fresh', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: key });
    const read = cursorSecretReader({ source: 'secrets-manager', secretId: secretArn }, new SecretsProvider({ awsSdkV3Client: secretsManager }));

    expect(await read()).toBe(key);
    expect(await read()).toBe(key);

    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: secretArn });
  });

  it('answers 503 dependency_unavailable when Secrets Manager cannot give it', async () => {
    sm.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: 'Secrets Manager can\'t find the specified secret.', $metadata: {} }));
    const read = cursorSecretReader({ source: 'secrets-manager', secretId: secretArn }, new SecretsProvider({ awsSdkV3Client: secretsManager }));

    await expect(read()).rejects.toMatchObject({ name: 'DependencyUnavailableError', statusCode: 503, code: 'dependency_unavailable' });
  });

  it('refuses a stored value too short to be a key', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'short' });
    const read = cursorSecretReader({ source: 'secrets-manager', secretId: secretArn }, new SecretsProvider({ awsSdkV3Client: secretsManager }));

    await expect(read()).rejects.toBeInstanceOf(ConfigError);
  });

  it('never calls Secrets Manager for a key given directly', async () => {
    expect(await cursorSecretReader({ source: 'environment', secret: key })()).toBe(key);
    expect(sm).not.toHaveReceivedCommand(GetSecretValueCommand);
  });
});

describe('GET /videos on AWS', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('signs its cursors with the key it read from the secret named in its environment', async () => {
    vi.stubEnv('MEDIA_BUCKET', 'test-media');
    vi.stubEnv('VIDEOS_TABLE', 'test-videos');
    vi.stubEnv('CURSOR_SECRET', undefined);
    vi.stubEnv('CURSOR_SECRET_ARN', secretArn);
    vi.stubEnv('LOG_LEVEL', 'silent');
    sm.on(GetSecretValueCommand).resolves({ SecretString: key });
    const ddb = mockClient(dynamodb);
    ddb.on(QueryCommand).resolves({ Items: [], LastEvaluatedKey: { id: 'v', status: 'saved', created_at: 'x' } });
    const { handler } = await import('../../functions/api/list-videos.ts');

    const result = await handler(apiEvent({ path: '/videos', queryStringParameters: { status: 'saved' } }), lambdaContext);

    expect(result.statusCode).toBe(200);
    const { next_cursor: cursor } = JSON.parse(result.body) as { next_cursor: string };
    expect(decodeCursor(cursor, 'status=saved', key)).toEqual({ id: 'v', status: 'saved', created_at: 'x' });
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: secretArn });
    ddb.restore();
  });
});
