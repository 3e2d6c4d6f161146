import { z } from 'zod';
import { X264PresetSchema } from './video.ts';

/**
 * Configuration, parsed from the environment once at cold start. A missing or malformed variable is an
 * init error naming the variable, never an `undefined` deep inside a request.
 */
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const positiveInt = z.coerce.number().int().positive();

export const ConfigSchema = z.object({
  MEDIA_BUCKET: z.string().min(3),
  VIDEOS_TABLE: z.string().min(1),
  /** x264 preset used when a request names none (the replaced service used medium). */
  FFMPEG_PRESET: X264PresetSchema.default('medium'),
  MAX_UPLOAD_BYTES: positiveInt.default(5 * GiB),
  /** Videos above this size upload in parts (resumable); below it, with one presigned POST. */
  MULTIPART_THRESHOLD_BYTES: positiveInt.default(100 * MiB),
  MAX_SUBTITLES_BYTES: positiveInt.default(2 * MiB),
  /** Lifetime of presigned upload URLs. Short: a browser starts the upload right away. */
  UPLOAD_URL_TTL_SECONDS: positiveInt.max(7 * 24 * 3600).default(15 * 60),
  PLAYBACK_URL_TTL_SECONDS: positiveInt.max(12 * 3600).default(3600),
  /** Reported by GET /api/health. */
  VIDP_VERSION: z.string().default('dev'),
  /** Comma-separated origins allowed by CORS; "*" only makes sense for local use. */
  ALLOWED_ORIGINS: z
    .string()
    .default('*')
    .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean)),
});
export type Config = z.infer<typeof ConfigSchema>;

/**
 * Signs list cursors so a client cannot forge or edit one (they carry DynamoDB keys). Any long random
 * string; changing it only invalidates cursors in flight.
 */
const CursorSecretSchema = z.string().min(32, 'must be at least 32 characters (a random secret)');

/**
 * Only GET /videos pages through results, so only its function can read the key that signs cursors.
 * On AWS it is a Secrets Manager secret, read at run time (CURSOR_SECRET_ARN); the key itself is never in
 * a function's environment, where anyone allowed to read the function's configuration would see it.
 * The local cloud and the tests have no Secrets Manager and give the key itself (CURSOR_SECRET); inside
 * Lambda that is refused, so a deployment cannot fall back to it.
 */
export const CursorConfigSchema = z
  .object({
    CURSOR_SECRET_ARN: z.string().min(1).optional(),
    CURSOR_SECRET: CursorSecretSchema.optional(),
    /** Set by Lambda in every execution environment. */
    AWS_LAMBDA_INITIALIZATION_TYPE: z.string().optional(),
  })
  .superRefine((env, context) => {
    const problem = (path: string, message: string) => context.addIssue({ code: 'custom', path: [path], message });
    if (env.CURSOR_SECRET === undefined && env.CURSOR_SECRET_ARN === undefined) {
      problem('CURSOR_SECRET_ARN', 'required: the Secrets Manager secret that holds the cursor key (locally: CURSOR_SECRET)');
    } else if (env.CURSOR_SECRET !== undefined && env.CURSOR_SECRET_ARN !== undefined) {
      problem('CURSOR_SECRET', 'set either CURSOR_SECRET_ARN or CURSOR_SECRET, not both');
    } else if (env.CURSOR_SECRET !== undefined && env.AWS_LAMBDA_INITIALIZATION_TYPE !== undefined) {
      problem('CURSOR_SECRET', 'not accepted in Lambda: the key is read from Secrets Manager (CURSOR_SECRET_ARN)');
    }
  });
export type CursorSecretConfig = { source: 'secrets-manager'; secretId: string } | { source: 'environment'; secret: string };

/** Where list-videos reads the cursor key from (see CursorConfigSchema). */
export function loadCursorSecretConfig(env: NodeJS.ProcessEnv = process.env): CursorSecretConfig {
  const parsed = parseConfig(CursorConfigSchema, env);
  return parsed.CURSOR_SECRET_ARN !== undefined
    ? { source: 'secrets-manager', secretId: parsed.CURSOR_SECRET_ARN }
    : { source: 'environment', secret: parsed.CURSOR_SECRET! };
}

/** A key read from Secrets Manager must be as good as one given directly. */
export function parseCursorSecret(value: unknown): string {
  const parsed = CursorSecretSchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(`Invalid cursor key in Secrets Manager: ${parsed.error.issues[0]?.message ?? 'not a string'}`);
  return parsed.data;
}

/** The PrepareSubtitles function fetches subtitles from URLs: where it may go, and how long it waits. */
export const SubtitleFetchConfigSchema = z.object({
  /**
   * Hosts trusted even at private addresses (the subtitle service usually lives inside the VPC), as
   * `host` (any port) or `host:port`, comma-separated. Every other host must resolve to public addresses.
   */
  SUBTITLE_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((host) => host.trim().toLowerCase()).filter(Boolean)),
  SUBTITLE_CONNECT_TIMEOUT_MS: positiveInt.default(5_000),
  /** The whole fetch, redirects included. */
  SUBTITLE_FETCH_TIMEOUT_MS: positiveInt.default(20_000),
});
export type SubtitleFetchConfig = z.infer<typeof SubtitleFetchConfigSchema>;

/** The scheduled cleanup: how old things get before it removes them. */
export const CleanupConfigSchema = z.object({
  /** Working files under temp/ older than this are deleted (a run that died left them). */
  TEMP_TTL_HOURS: positiveInt.default(24),
  /** Multipart uploads started longer ago than this and never completed are aborted. */
  MULTIPART_TTL_HOURS: positiveInt.default(24),
  /** Records still `awaiting_upload` this long after creation end `failed` with `upload_expired`. */
  PENDING_UPLOAD_TTL_HOURS: positiveInt.default(24),
  /** Sources of saved videos are deleted this many days after they were created; 0 keeps them. */
  SOURCE_RETENTION_DAYS: z.coerce.number().int().nonnegative().default(7),
});
export type CleanupConfig = z.infer<typeof CleanupConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function parseConfig<Schema extends z.ZodType>(schema: Schema, env: NodeJS.ProcessEnv): z.infer<Schema> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return parseConfig(ConfigSchema, env);
}
