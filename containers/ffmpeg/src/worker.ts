/**
 * The FFmpeg worker's entry point: the Transcode step of the pipeline. The same bundle runs as the Fargate
 * task on AWS and as a child process of the local cloud; one job per process (see job.ts).
 */
import { dynamodb, s3, sfn } from '../../../functions/core/clients.ts';
import { parseConfig } from '../../../functions/core/config.ts';
import { WorkerMisconfiguredError } from '../../../functions/core/errors.ts';
import { createLogger, describeError } from '../../../functions/core/log.ts';
import { createMetrics, METRIC_SERVICES, videoMetrics } from '../../../functions/core/metrics.ts';
import { createVideoRepository } from '../../../functions/core/video-repository.ts';
import { jobFromConfig, WorkerConfigSchema, type WorkerConfig } from './config.ts';
import { isEntryPoint } from './entry-point.ts';
import { stopOnSigterm } from './interruption.ts';
import { sendTaskFailure, toTaskFailure } from './failures.ts';
import { runTranscodeJob } from './job.ts';
import { presignedSourceLocator } from './media-storage.ts';
import { ownTaskArn } from './task-metadata.ts';

/** Returns the exit code: 0 once the job is reported, whatever its result; 1 when nothing could be reported. */
async function main(env: NodeJS.ProcessEnv): Promise<number> {
  let config: WorkerConfig;
  try {
    config = parseConfig(WorkerConfigSchema, env);
  } catch (configError) {
    // A broken task definition still owes the workflow an answer, if it gave us a token to answer with.
    // The message names the variables and what is wrong with them, never their values.
    const logger = createLogger({ videoId: env.VIDEO_ID, executionId: env.EXECUTION_ID });
    const problem = configError instanceof Error ? configError.message : 'Invalid configuration';
    logger.error('worker configuration is invalid', { problem });
    if (!env.TASK_TOKEN) return 1;
    try {
      await sendTaskFailure(sfn, env.TASK_TOKEN, toTaskFailure(new WorkerMisconfiguredError(problem)));
      return 0;
    } catch (error) {
      logger.error('could not report the failure', { error: describeError(error) });
      return 1;
    }
  }

  const logger = createLogger({ videoId: config.VIDEO_ID, executionId: config.EXECUTION_ID });
  // Node as PID 1 in a container gets no default SIGTERM handling: without this, ECS StopTask (or a Spot
  // interruption) would wait its full stop timeout while ffmpeg keeps encoding for nobody.
  const stopping = stopOnSigterm(process, config.CAPACITY_PROVIDER, logger);
  try {
    const outcome = await runTranscodeJob(jobFromConfig(config), {
      s3,
      sfn,
      videos: createVideoRepository(dynamodb, config.VIDEOS_TABLE),
      logger,
      metrics: videoMetrics(createMetrics(METRIC_SERVICES.worker)),
      ffmpegPath: config.FFMPEG_PATH,
      ffprobePath: config.FFPROBE_PATH,
      workDir: config.WORK_DIR,
      heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_SECONDS * 1000,
      progressIntervalMs: config.PROGRESS_INTERVAL_SECONDS * 1000,
      stallTimeoutMs: config.STALL_TIMEOUT_SECONDS * 1000,
      probeTimeoutMs: config.PROBE_TIMEOUT_SECONDS * 1000,
      cost: {
        vcpu: config.FARGATE_VCPU,
        memoryGb: config.FARGATE_MEMORY_GB,
        prices: { vcpuHourUsd: config.FARGATE_VCPU_HOUR_USD, gbHourUsd: config.FARGATE_GB_HOUR_USD },
        capacityProvider: config.CAPACITY_PROVIDER,
        spotDiscount: config.FARGATE_SPOT_DISCOUNT,
      },
      locateSource: presignedSourceLocator(s3),
      taskArn: () => ownTaskArn(config.ECS_CONTAINER_METADATA_URI_V4),
      signal: stopping,
    });
    return outcome === 'abandoned' ? 1 : 0;
  } catch (error) {
    logger.error('could not report the job result', { error: describeError(error) });
    return 1;
  }
}

if (isEntryPoint(import.meta.url)) {
  // process.exit, not exitCode: an idle keep-alive socket must not keep a finished Fargate task running.
  // Log lines are already out: stdout writes to files and pipes are synchronous on Linux.
  main(process.env).then(
    (code) => process.exit(code),
    () => process.exit(1),
  );
}
