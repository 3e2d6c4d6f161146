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
  MAX_SUBTITLES_BYTES: positiveInt.default(2 * MiB),
  /** Lifetime of presigned upload URLs. Short: a browser starts the upload right away. */
  UPLOAD_URL_TTL_SECONDS: positiveInt.max(7 * 24 * 3600).default(15 * 60),
  PLAYBACK_URL_TTL_SECONDS: positiveInt.max(12 * 3600).default(3600),
  /** Comma-separated origins allowed by CORS; "*" only makes sense for local use. */
  ALLOWED_ORIGINS: z
    .string()
    .default('*')
    .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean)),
});
export type Config = z.infer<typeof ConfigSchema>;

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
