import { randomBytes } from 'node:crypto';
import { LOCAL_ADMIN_CREDENTIALS } from '../local-resources.ts';

/**
 * The local STS: credentials for every principal of the pipeline, so each call the local cloud serves says
 * who makes it. A role's credentials are temporary ones, as AWS hands them to a Lambda function, an ECS task
 * or Step Functions: an `ASIA…` key id, a secret and a session token, minted when the local cloud starts
 * (or a task starts) and valid until it stops. The verified signature's key id names the role and the
 * session; the session token must come with it, as AWS requires it of temporary credentials.
 *
 * One more principal stands apart: the administrator (LOCAL_ADMIN_CREDENTIALS), the local equivalent of
 * your own AWS credentials, with which tests, the demo and people look into S3 and DynamoDB directly. It is
 * allowed everything, as an account's administrator is; no part of the pipeline uses it.
 */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Who a request comes from: a session of a role of the synthesized templates, or the local administrator. */
export type LocalPrincipal = { kind: 'role'; roleName: string; sessionName: string } | { kind: 'admin' };

export const LOCAL_ADMIN: LocalPrincipal = { kind: 'admin' };

/** Why credentials were refused: a key id nobody issued, or a session token that is missing or not the key's. */
export type CredentialRefusal = 'unknown-key' | 'invalid-token';

interface Issued {
  credentials: AwsCredentials;
  principal: LocalPrincipal;
}

/** AWS's session names are at most 64 characters of [\w+=,.@-]. */
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

export class LocalCredentialRegistry {
  readonly #byKeyId = new Map<string, Issued>();
  readonly #bySession = new Map<string, AwsCredentials>();

  constructor(admin: AwsCredentials = LOCAL_ADMIN_CREDENTIALS) {
    this.#byKeyId.set(admin.accessKeyId, { credentials: admin, principal: LOCAL_ADMIN });
  }

  /** The credentials of a session of `roleName` (AssumeRole): the same ones for the same session, minted once. */
  issue(roleName: string, sessionName: string): AwsCredentials {
    if (!SESSION_NAME.test(sessionName)) throw new Error(`Invalid role session name ${JSON.stringify(sessionName)}`);
    const session = `${roleName}/${sessionName}`;
    const existing = this.#bySession.get(session);
    if (existing !== undefined) return existing;
    const credentials: AwsCredentials = {
      accessKeyId: `ASIA${base32(randomBytes(10))}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(96).toString('base64'),
    };
    this.#bySession.set(session, credentials);
    this.#byKeyId.set(credentials.accessKeyId, { credentials, principal: { kind: 'role', roleName, sessionName } });
    return credentials;
  }

  /** For the signature verifiers: the secret of a key id this cloud issued. */
  readonly lookupSecret = (accessKeyId: string): string | undefined => this.#byKeyId.get(accessKeyId)?.credentials.secretAccessKey;

  /** Who signed with `accessKeyId` (its signature already verified), given the session token the request carried. */
  identify(accessKeyId: string, sessionToken: string | undefined): LocalPrincipal | CredentialRefusal {
    const issued = this.#byKeyId.get(accessKeyId);
    if (issued === undefined) return 'unknown-key';
    if (issued.credentials.sessionToken !== sessionToken) return 'invalid-token';
    return issued.principal;
  }
}

/** The environment variables a default-constructed SDK client reads its credentials from. */
export function credentialsEnvironment(credentials: AwsCredentials): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ...(credentials.sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: credentials.sessionToken }),
  };
}

/** Key ids are upper-case letters and digits 2–7 (RFC 4648 base32, as AWS's are). */
function base32(bytes: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let output = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      output += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return output;
}
