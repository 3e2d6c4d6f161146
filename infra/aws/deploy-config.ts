import type { Node } from 'constructs';
import { z } from 'zod';
import { DEFAULT_FARGATE_SPOT_DISCOUNT } from '../../containers/ffmpeg/src/cost.ts';
import { DEFAULT_SEGMENT_SETTINGS, MAX_SEGMENT_CONCURRENCY } from '../../containers/ffmpeg/src/segment-plan.ts';
import { resourcePrefix as stagePrefix } from '../shared/resources.ts';

/**
 * What operators tune at deploy time, read from CDK context (`cdk.json`, or `-c name=value` on the command
 * line, where every value arrives as a string). Parsed once, before any construct is built: a bad value
 * fails synthesis naming the parameter, never halfway through a deployment.
 */
const GiB = 1024 ** 3;

/** Fargate's valid CPU units → memory sizes (MiB) for the values a transcode can use (ARM64, Linux). */
const FARGATE_MEMORY_BY_CPU: Record<number, { min: number; max: number; step: number }> = {
  1024: { min: 2048, max: 8192, step: 1024 },
  2048: { min: 4096, max: 16384, step: 1024 },
  4096: { min: 8192, max: 30720, step: 1024 },
  8192: { min: 16384, max: 61440, step: 4096 },
  16384: { min: 32768, max: 122880, step: 8192 },
};

/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const integer = z.coerce.number().int();
const commaSeparated = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((item) => item.trim()).filter(Boolean));

export const DeployConfigSchema = z
  .object({
    /** prod keeps data when a stack is deleted (RETAIN) and turns on deletion protection. */
    stage: z.enum(['dev', 'prod']).default('dev'),
    /** Origins allowed by CORS on the API and on the media bucket (browser uploads). */
    allowedOrigins: commaSeparated.pipe(z.array(z.string()).min(1)).default(['*']),
    /** Fargate task size for one transcode: CPU units (1024 = 1 vCPU) and memory. */
    transcodeCpu: integer.refine((cpu) => cpu in FARGATE_MEMORY_BY_CPU, {
      message: `must be one of ${Object.keys(FARGATE_MEMORY_BY_CPU).join(', ')} (CPU units)`,
    }).default(2048),
    transcodeMemoryMiB: integer.default(4096),
    /** The task's disk; it holds only the output (the source is read from S3 as it is encoded). 20 is Fargate's free default. */
    transcodeEphemeralStorageGiB: integer.min(20).max(200).default(20),
    logRetentionDays: integer
      .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        message: `must be one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(30),
    maxUploadBytes: integer.positive().max(5 * 1024 * GiB, 'S3 objects are at most 5 TiB').default(5 * GiB),
    /** Move saved videos to Glacier Instant Retrieval after this many days; unset keeps them in S3 Standard. */
    videosGlacierTransitionDays: integer.positive().optional(),
    /**
     * Subtitle-service hosts trusted even at private addresses (`host` or `host:port`, comma-separated); every
     * other subtitle URL must resolve to public addresses. prepare-subtitles runs outside the VPC, so a host
     * here must still be reachable from the internet side (e.g. behind an internal-facing ALB with a public name).
     */
    subtitleAllowedHosts: z.string().default(''),
    /** How API callers authenticate: an API key with a usage plan, or SigV4-signed requests (IAM). */
    apiAuth: z.enum(['apiKey', 'iam']).default('apiKey'),
    /**
     * Transcodes run on Fargate Spot first (a discount for capacity AWS may reclaim with two minutes' notice;
     * an interrupted job runs again on on-demand FARGATE). `false` runs every transcode on on-demand FARGATE.
     */
    fargateSpot: z
      .union([z.boolean(), z.enum(['true', 'false'])])
      .transform((value) => value === true || value === 'true')
      .default(true),
    /** The estimate's Spot discount off on-demand (0.5 = half price); Spot prices move, typically 50–70 % below. */
    fargateSpotDiscount: z.coerce.number().min(0).lt(1).default(DEFAULT_FARGATE_SPOT_DISCOUNT),
    /**
     * Long videos: a source at least this many seconds long is encoded as parallel segments, each a Fargate
     * task of about segmentSeconds, at most segmentMaxConcurrency at once (an inline Map state runs 40 at most).
     * Segments need Fargate vCPU quota: segmentMaxConcurrency × the task's vCPUs (20 at the defaults).
     */
    parallelMinSeconds: z.coerce.number().positive().default(DEFAULT_SEGMENT_SETTINGS.parallelMinSeconds),
    segmentSeconds: z.coerce.number().min(10).default(DEFAULT_SEGMENT_SETTINGS.segmentSeconds),
    segmentMaxConcurrency: integer.min(2).max(MAX_SEGMENT_CONCURRENCY).default(DEFAULT_SEGMENT_SETTINGS.maxConcurrency),
    /** Where alarms send a notification; unset leaves the alarms on the dashboard and the topic without subscribers. */
    alarmEmail: z.email().optional(),
  })
  .superRefine((config, context) => {
    const memory = FARGATE_MEMORY_BY_CPU[config.transcodeCpu];
    if (memory !== undefined) {
      const { min, max, step } = memory;
      if (config.transcodeMemoryMiB < min || config.transcodeMemoryMiB > max || config.transcodeMemoryMiB % step !== 0) {
        context.addIssue({
          code: 'custom',
          path: ['transcodeMemoryMiB'],
          message: `with transcodeCpu ${config.transcodeCpu}, Fargate accepts ${min}–${max} MiB in steps of ${step}`,
        });
      }
    }
    if (config.stage === 'prod' && config.allowedOrigins.includes('*')) {
      context.addIssue({
        code: 'custom',
        path: ['allowedOrigins'],
        message: 'prod needs the real origins of the web app (e.g. -c allowedOrigins=https://app.example), not "*"',
      });
    }
  });

export type DeployConfig = z.infer<typeof DeployConfigSchema>;

/** The context keys this app reads, i.e. the names `-c name=value` accepts. */
export const DEPLOY_CONTEXT_KEYS = Object.keys(DeployConfigSchema.shape) as (keyof DeployConfig)[];

export class DeployConfigError extends Error {
  override readonly name = 'DeployConfigError';
}

export function readDeployConfig(node: Node): DeployConfig {
  const raw = Object.fromEntries(
    DEPLOY_CONTEXT_KEYS.map((key) => [key, node.tryGetContext(key)]).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = DeployConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `-c ${issue.path.join('.') || '(context)'}: ${issue.message}`);
    throw new DeployConfigError(`Invalid deploy parameters:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

/** Every named resource carries the stage (infra/shared/resources.ts names them). */
export function resourcePrefix(config: Pick<DeployConfig, 'stage'>): string {
  return stagePrefix(config.stage);
}
