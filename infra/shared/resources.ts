import { VIDEO_INDEXES } from '../../functions/core/video-repository.ts';
import type { CapacityProvider } from '../../functions/core/video.ts';

/*
 * What the local cloud (infra/local) and the CDK app (infra/aws) both build, as plain data in a module of its
 * own: the CDK app reads it without loading the emulator (s3rver, dynalite) on every synth, and the emulator
 * builds exactly what gets deployed.
 */

/**
 * The videos table: partition key `id`, and one GSI per query the API makes, each sorted by `created_at`.
 * Plain data so the CDK stack can build the same table from it.
 */
export const VIDEOS_TABLE_DEFINITION = {
  partitionKey: { name: 'id', type: 'S' },
  globalSecondaryIndexes: [
    { indexName: VIDEO_INDEXES.byStatus, partitionKey: { name: 'status', type: 'S' }, sortKey: { name: 'created_at', type: 'S' } },
    {
      indexName: VIDEO_INDEXES.bySourceVideoId,
      partitionKey: { name: 'source_video_id', type: 'S' },
      sortKey: { name: 'created_at', type: 'S' },
    },
    { indexName: VIDEO_INDEXES.byFilename, partitionKey: { name: 'filename', type: 'S' }, sortKey: { name: 'created_at', type: 'S' } },
  ],
  projection: 'ALL',
  billingMode: 'PAY_PER_REQUEST',
} as const;

/**
 * The media bucket's CORS rules: browsers upload straight to S3 (presigned POST, or PUT for multipart parts)
 * and read the ETag of each part to complete a multipart upload. The origins are the deployment's
 * `allowedOrigins` (locally ALLOWED_ORIGINS, default "*"), the same list the API's CORS answers with.
 */
export const MEDIA_BUCKET_CORS_RULES = [
  {
    allowedMethods: ['GET', 'HEAD', 'PUT', 'POST'],
    allowedHeaders: ['*'],
    exposedHeaders: ['ETag'],
    maxAgeSeconds: 3000,
  },
] as const;

/**
 * The API's CORS preflight answers: the CDK RestApi's defaultCorsPreflightOptions, and what the local gateway
 * answers an OPTIONS request with.
 */
export const API_CORS_PREFLIGHT = {
  allowHeaders: ['Content-Type', 'X-Amz-Date', 'Authorization', 'X-Api-Key', 'X-Amz-Security-Token', 'X-Amz-User-Agent'],
  maxAgeSeconds: 600,
  statusCode: 204,
} as const;

/** The worker's container in the transcode task definition: the ASL's ContainerOverrides name it. */
export const WORKER_CONTAINER_NAME = 'ffmpeg-worker';

/** What every resource a deployment names starts with: `vidp-{stage}`, so a dev and a prod deployment can share an account. */
export function resourcePrefix(stage: string): string {
  return `vidp-${stage}`;
}

/**
 * The names the CDK app gives the resources it names itself. Their policies spell these names (a grant on
 * `stateMachine:vidp-dev-pipeline`), so the local cloud gives its stand-ins the same ones.
 */
export function namedResources(prefix: string) {
  return {
    stateMachine: `${prefix}-pipeline`,
    transcodeTaskFamily: `${prefix}-transcode`,
    eventBus: `${prefix}-events`,
    api: `${prefix}-api`,
  } as const;
}

/**
 * The capacity provider a transcode runs on first, the ASL's `${TranscodeCapacityProvider}`: FARGATE_SPOT
 * (Spot, at a discount, may be reclaimed with two minutes' notice) unless Spot is turned off (the deploy's
 * `fargateSpot` context parameter, the local cloud's `fargateSpot` option / LOCAL_FARGATE_SPOT). After a Spot
 * interruption the workflow runs the job once more on FARGATE, whatever this says.
 */
export function firstTranscodeCapacity(fargateSpot: boolean): CapacityProvider {
  return fargateSpot ? 'FARGATE_SPOT' : 'FARGATE';
}
