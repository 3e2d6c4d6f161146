import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * What operators watch, as CloudWatch metrics in embedded metric format (EMF): Powertools Metrics prints one
 * JSON line per flush on stdout, and CloudWatch Logs turns it into metrics (the Lambda log groups and the
 * worker's awslogs group alike), with no PutMetricData call and nothing to pay while idle.
 *
 * The names, the services that emit them and the `code` dimension are shared with the dashboard
 * (infra/aws/constructs/operations.ts), which must ask for exactly these.
 */
export const METRIC_NAMES = {
  /** A new video record (create-upload; a repeated client_token is not counted again). */
  videosCreated: 'VideosCreated',
  /** The size the client declared for the upload, at create-upload: a presigned POST caps the upload at it. */
  uploadBytes: 'UploadBytes',
  /** A transcode reported to the workflow as done (the worker), just before RecordResult saves it. */
  videosSaved: 'VideosSaved',
  /** A video ended failed, by error `code` (mark-failed, or the reconciler for `interrupted`, when it changed the record). */
  videosFailed: 'VideosFailed',
  /** Seconds of encoding per minute of output video (the worker): how fast the task size encodes. */
  encodeSecondsPerOutputMinute: 'EncodeSecondsPerOutputMinute',
} as const;

/** The `service` dimension of each metric: the function or task that emits it. */
export const METRIC_SERVICES = {
  createUpload: 'create-upload',
  markFailed: 'mark-failed',
  worker: 'transcode-worker',
  /** The reconciler, run by the cleanup schedule and by Step Functions' status events. */
  cleanup: 'cleanup',
  reconcileExecution: 'reconcile-execution',
} as const;

export const FAILURE_CODE_DIMENSION = 'code';

/** Locally and in tests; on AWS the stack sets POWERTOOLS_METRICS_NAMESPACE per deployment (vidp/<prefix>). */
export const DEFAULT_METRICS_NAMESPACE = 'vidp';

/**
 * What a deployed function or task is given for Powertools Logger and Metrics: the `service` of its log lines
 * and metrics, and the namespace its metrics count in. Powertools' own variables, not a config schema's.
 */
export function powertoolsEnvironment(service: string, metricsNamespace: string): Record<string, string> {
  return { POWERTOOLS_SERVICE_NAME: service, POWERTOOLS_METRICS_NAMESPACE: metricsNamespace };
}

export function createMetrics(service: (typeof METRIC_SERVICES)[keyof typeof METRIC_SERVICES]): Metrics {
  return new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || DEFAULT_METRICS_NAMESPACE,
    serviceName: service,
  });
}

/** The pipeline's events as metrics; each call prints its EMF line at once (a worker exits right after). */
export interface VideoMetrics {
  created(uploadBytes: number): void;
  failed(code: string): void;
  saved(output: { encodeSeconds: number; outputSeconds: number }): void;
}

export function videoMetrics(metrics: Metrics): VideoMetrics {
  return {
    created(uploadBytes) {
      metrics.addMetric(METRIC_NAMES.videosCreated, MetricUnit.Count, 1);
      metrics.addMetric(METRIC_NAMES.uploadBytes, MetricUnit.Bytes, uploadBytes);
      metrics.publishStoredMetrics();
    },
    failed(code) {
      // A metric of its own: the code dimension must not stick to anything published later.
      const failure = metrics.singleMetric();
      failure.addDimension(FAILURE_CODE_DIMENSION, code);
      failure.addMetric(METRIC_NAMES.videosFailed, MetricUnit.Count, 1);
    },
    saved({ encodeSeconds, outputSeconds }) {
      metrics.addMetric(METRIC_NAMES.videosSaved, MetricUnit.Count, 1);
      if (outputSeconds > 0) {
        const perMinute = Math.round((encodeSeconds / (outputSeconds / 60)) * 1000) / 1000;
        metrics.addMetric(METRIC_NAMES.encodeSecondsPerOutputMinute, MetricUnit.Seconds, perMinute);
      }
      metrics.publishStoredMetrics();
    },
  };
}
