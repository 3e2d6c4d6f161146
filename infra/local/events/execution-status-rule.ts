import { randomUUID } from 'node:crypto';
import type { CloudLog } from '../cloud-log.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, STATE_MACHINE_ARN } from '../local-resources.ts';
import type { ExecutionRecord } from '../stepfunctions/execution-registry.ts';

/** The statuses the stack's InterruptedExecutions rule matches (infra/aws/stateless-stack.ts). */
const INTERRUPTED_STATUSES = new Set(['TIMED_OUT', 'ABORTED', 'FAILED']);

/** Step Functions' "Execution Status Change" event on the default bus, for one ended execution. */
export function executionStatusChangeEvent(record: ExecutionRecord) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: LOCAL_ACCOUNT_ID,
    time: record.stopDate ?? new Date().toISOString(),
    region: LOCAL_REGION,
    resources: [record.executionArn],
    detail: {
      executionArn: record.executionArn,
      stateMachineArn: STATE_MACHINE_ARN,
      name: record.name,
      status: record.status,
      startDate: Date.parse(record.startDate),
      stopDate: record.stopDate === undefined ? null : Date.parse(record.stopDate),
      input: JSON.stringify(record.input),
      output: record.output === undefined ? null : JSON.stringify(record.output),
    },
  };
}

/**
 * The local InterruptedExecutions rule: an execution that ended TIMED_OUT, ABORTED or FAILED is delivered to
 * the reconciler function, as EventBridge delivers Step Functions' status events on AWS (asynchronously: a
 * failed delivery is logged, never thrown into the execution that ended).
 */
export function routeInterruptedExecutions(deliver: (event: ReturnType<typeof executionStatusChangeEvent>) => Promise<unknown>, logger: CloudLog) {
  return (record: ExecutionRecord): void => {
    if (!INTERRUPTED_STATUSES.has(record.status)) return;
    deliver(executionStatusChangeEvent(record)).catch((error: unknown) => {
      logger(`[events] the reconciler could not take the ${record.status} of ${record.name}: ${String(error)}`);
    });
  };
}
