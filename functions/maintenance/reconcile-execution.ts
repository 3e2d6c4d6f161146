import type { EventBridgeEvent } from 'aws-lambda';
import { dynamodb, s3, sfn } from '../core/clients.ts';
import { loadConfig } from '../core/config.ts';
import { log } from '../core/log.ts';
import { createMetrics, METRIC_SERVICES, videoMetrics } from '../core/metrics.ts';
import { reconcileExecution, type ExecutionStatusChange } from '../core/reconcile.ts';
import { createVideoRepository } from '../core/video-repository.ts';

const config = loadConfig();
const repository = createVideoRepository(dynamodb, config.VIDEOS_TABLE);
const metrics = videoMetrics(createMetrics(METRIC_SERVICES.reconcileExecution));

/**
 * Step Functions' "Execution Status Change" events for TIMED_OUT, ABORTED and FAILED executions of the
 * pipeline (an EventBridge rule): a video whose execution ended that way without recording it is failed
 * with `interrupted` at once, rather than at the next scheduled cleanup.
 */
export async function handler(event: EventBridgeEvent<'Step Functions Execution Status Change', ExecutionStatusChange>) {
  const failed = await reconcileExecution(
    { s3, sfn, repository, bucket: config.MEDIA_BUCKET, logger: log, metrics },
    { executionArn: event.detail.executionArn, status: event.detail.status, input: event.detail.input ?? null },
  );
  log.info('execution reconciled', { executionArn: event.detail.executionArn, status: event.detail.status, failed });
  return { failed };
}
