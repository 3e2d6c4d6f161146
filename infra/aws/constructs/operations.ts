import { Duration } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  Stats,
  TreatMissingData,
  Unit,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, MetricFilter, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FAILURE_CODE_DIMENSION, METRIC_NAMES, METRIC_SERVICES } from '../../../functions/core/metrics.ts';

export interface OperationsProps {
  name: string;
  /** Where the functions and the worker put their EMF metrics (POWERTOOLS_METRICS_NAMESPACE). */
  metricsNamespace: string;
  stateMachine: IStateMachine;
  api: RestApi;
  /** Every function, by a name that reads well on a graph. */
  functions: Readonly<Record<string, IFunction>>;
  /** The FFmpeg worker's log group: its "job succeeded" lines carry the timings. */
  workerLogGroup: ILogGroup;
  undeliveredUploads: IQueue;
  /** The scheduled cleanup, when there is one: nobody is waiting on its result, so its failures alarm. */
  cleanupFunction?: IFunction;
  alarmEmail?: string;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * What an operator looks at: one dashboard for the whole pipeline, and alarms for the things that need a
 * person: failed jobs, jobs that ended without a result, uploads that never started a job, API 5xx.
 */
export class Operations extends Construct {
  readonly alarmTopic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const { stateMachine, api } = props;
    const namespace = props.metricsNamespace;

    // The worker's own measurements, from its structured log (no SDK call, no cost while idle).
    const fromWorkerLog = (metricName: string, valuePath: string, unit: Unit) =>
      this.metricFromWorkerLog(props.workerLogGroup, namespace, metricName, valuePath, unit);
    const transcodeDuration = fromWorkerLog('TranscodeDuration', '$.output.timings.total_ms', Unit.MILLISECONDS);
    const videoSecondsProcessed = fromWorkerLog('VideoSecondsProcessed', '$.output.duration', Unit.SECONDS);

    this.alarmTopic = new Topic(this, 'AlarmTopic', { displayName: `${props.name} alarms`, enforceSSL: true });
    if (props.alarmEmail !== undefined) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));

    this.alarm('FailedExecutions', {
      metric: stateMachine.metricFailed({ period: FIVE_MINUTES, statistic: Stats.SUM }),
      description: 'A video failed: the record says why (status failed, error.code); the execution history shows where.',
    });
    this.alarm('StuckExecutions', {
      metric: new MathExpression({
        expression: 'timedOut + aborted',
        usingMetrics: {
          timedOut: stateMachine.metricTimedOut({ statistic: Stats.SUM }),
          aborted: stateMachine.metricAborted({ statistic: Stats.SUM }),
        },
        period: FIVE_MINUTES,
        label: 'Executions timed out or aborted',
      }),
      description:
        'An execution ended without reaching MarkFailed (timed out or stopped): its video record is left in processing.',
    });
    this.alarm('UndeliveredUploads', {
      metric: props.undeliveredUploads.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: Stats.MAXIMUM }),
      description: 'An upload event could not start the pipeline (see the dead-letter queue): that video waits in awaiting_upload.',
    });
    if (props.cleanupFunction !== undefined) {
      this.alarm('CleanupFailures', {
        metric: props.cleanupFunction.metricErrors({ period: Duration.hours(1), statistic: Stats.SUM }),
        description: 'The hourly cleanup failed (its log says which part): temp files, stale uploads or pending records pile up.',
      });
    }
    this.alarm('ApiServerErrors', {
      metric: api.metricServerError({ period: FIVE_MINUTES, statistic: Stats.SUM }),
      description: 'The API answered 5xx: the access log has the request id, the function log the error.',
    });

    const functionErrors = Object.entries(props.functions).map(([name, fn]) =>
      fn.metricErrors({ period: FIVE_MINUTES, statistic: Stats.SUM, label: name }),
    );
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: props.name, defaultInterval: Duration.days(1) });
    this.dashboard.addWidgets(
      graph('Pipeline executions', [
        stateMachine.metricStarted({ label: 'started' }),
        stateMachine.metricSucceeded({ label: 'succeeded' }),
        stateMachine.metricFailed({ label: 'failed' }),
        stateMachine.metricTimedOut({ label: 'timed out' }),
        stateMachine.metricAborted({ label: 'aborted' }),
      ].map((metric) => metric.with({ period: FIVE_MINUTES, statistic: Stats.SUM }))),
      graph('Transcode duration (worker job, ms)', [
        transcodeDuration.with({ statistic: Stats.AVERAGE, label: 'average' }),
        transcodeDuration.with({ statistic: Stats.percentile(90), label: 'p90' }),
        transcodeDuration.with({ statistic: Stats.MAXIMUM, label: 'max' }),
      ], [videoSecondsProcessed.with({ statistic: Stats.SUM, label: 'video seconds processed' })]),
      graph('Execution time (upload landed → end, ms)', [
        stateMachine.metricTime({ statistic: Stats.AVERAGE, label: 'average' }),
        stateMachine.metricTime({ statistic: Stats.percentile(90), label: 'p90' }),
      ]),
    );
    this.dashboard.addWidgets(...this.videoWidgets(namespace));
    this.dashboard.addWidgets(
      graph('API errors', [
        api.metricClientError({ statistic: Stats.SUM, label: '4xx' }),
        api.metricServerError({ statistic: Stats.SUM, label: '5xx' }),
      ]),
      graph('API latency (ms)', [
        api.metricLatency({ statistic: Stats.percentile(50), label: 'p50' }),
        api.metricLatency({ statistic: Stats.percentile(90), label: 'p90' }),
        api.metricLatency({ statistic: Stats.percentile(99), label: 'p99' }),
      ]),
      graph('Lambda errors', functionErrors),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }));
  }

  /**
   * The EMF metrics of functions/core/metrics.ts: videos created, saved and failed (by error code), how fast
   * the worker encodes, and how much is uploaded.
   */
  private videoWidgets(namespace: string): GraphWidget[] {
    const emf = (metricName: string, service: string) =>
      new Metric({ namespace, metricName, dimensionsMap: { service }, period: FIVE_MINUTES });
    // One line per error code, whichever codes occur: the code is a dimension of VideosFailed.
    const failedByCode = `SEARCH('{"${namespace}",${FAILURE_CODE_DIMENSION},service} MetricName="${METRIC_NAMES.videosFailed}"', 'Sum', ${FIVE_MINUTES.toSeconds()})`;
    const encodeSpeed = emf(METRIC_NAMES.encodeSecondsPerOutputMinute, METRIC_SERVICES.worker);
    const uploadBytes = emf(METRIC_NAMES.uploadBytes, METRIC_SERVICES.createUpload);
    return [
      graph('Videos', [
        emf(METRIC_NAMES.videosCreated, METRIC_SERVICES.createUpload).with({ statistic: Stats.SUM, label: 'created' }),
        emf(METRIC_NAMES.videosSaved, METRIC_SERVICES.worker).with({ statistic: Stats.SUM, label: 'saved' }),
        new MathExpression({ expression: `SUM(${failedByCode})`, usingMetrics: {}, period: FIVE_MINUTES, label: 'failed' }),
      ], [], 6),
      graph('Failed videos by error code', [
        new MathExpression({ expression: failedByCode, usingMetrics: {}, period: FIVE_MINUTES, label: '' }),
      ], [], 6),
      graph('Encode seconds per output minute (worker)', [
        encodeSpeed.with({ statistic: Stats.AVERAGE, label: 'average' }),
        encodeSpeed.with({ statistic: Stats.percentile(90), label: 'p90' }),
        encodeSpeed.with({ statistic: Stats.MAXIMUM, label: 'max' }),
      ], [], 6),
      graph('Upload bytes (declared at create-upload)', [
        uploadBytes.with({ statistic: Stats.SUM, label: 'total' }),
      ], [uploadBytes.with({ statistic: Stats.AVERAGE, label: 'average per video' })], 6),
    ];
  }

  private alarm(id: string, options: { metric: IMetric; description: string }): void {
    const alarm = new Alarm(this, id, {
      metric: options.metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data means nothing happened: no uploads, no requests.
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    alarm.addAlarmAction(new SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
  }

  private metricFromWorkerLog(logGroup: ILogGroup, namespace: string, metricName: string, valuePath: string, unit: Unit): Metric {
    const filter = new MetricFilter(this, `${metricName}Filter`, {
      logGroup,
      filterPattern: FilterPattern.stringValue('$.message', '=', 'job succeeded'),
      metricNamespace: namespace,
      metricName,
      metricValue: valuePath,
      unit,
    });
    return filter.metric({ period: FIVE_MINUTES });
  }
}

function graph(title: string, left: IMetric[], right: IMetric[] = [], width = 8): GraphWidget {
  return new GraphWidget({ title, left, right, width, height: 6 });
}
