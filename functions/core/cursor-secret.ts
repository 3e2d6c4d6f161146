import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { traced } from './clients.ts';
import { parseCursorSecret, type CursorSecretConfig } from './config.ts';
import { DependencyUnavailableError } from './errors.ts';

/**
 * How long a warm function keeps the key before reading it again: one GetSecretValue per sandbox every five
 * minutes at most, and a changed key reaches every function within that time.
 */
export const CURSOR_SECRET_MAX_AGE_SECONDS = 300;

/** Only the list-videos function imports this module, and with it this client. */
export const secretsManager = traced(new SecretsManagerClient({}));
const secrets = new SecretsProvider({ awsSdkV3Client: secretsManager });

/** Reads the key that signs list cursors, where the configuration says it is (see CursorConfigSchema). */
export function cursorSecretReader(
  config: CursorSecretConfig,
  provider: Pick<SecretsProvider, 'get'> = secrets,
): () => Promise<string> {
  if (config.source === 'environment') {
    const { secret } = config;
    return async () => secret;
  }
  return async () => {
    let value: unknown;
    try {
      value = await provider.get(config.secretId, { maxAge: CURSOR_SECRET_MAX_AGE_SECONDS });
    } catch (error) {
      throw new DependencyUnavailableError('The key that signs list cursors could not be read from Secrets Manager', {
        cause: error,
      });
    }
    return parseCursorSecret(value);
  };
}
