import { describe, expect, it } from 'vitest';
import { videoIdOfExecutionInput } from '../../functions/core/reconcile.ts';
import { routeInterruptedExecutions } from '../../infra/local/events/execution-status-rule.ts';
import type { ExecutionRecord } from '../../infra/local/stepfunctions/execution-registry.ts';

const ended = (status: ExecutionRecord['status']): ExecutionRecord => ({
  name: 'e-1',
  executionArn: 'arn:aws:states:us-east-1:000000000000:execution:vidp-pipeline:e-1',
  status,
  input: { detail: { bucket: { name: 'media' }, object: { key: 'uploads/video-7/source.mp4' } } },
  startDate: '2026-01-01T00:00:00.000Z',
  stopDate: '2026-01-01T00:10:00.000Z',
  trace: [],
});

describe('the local InterruptedExecutions rule', () => {
  it.each(['TIMED_OUT', 'ABORTED', 'FAILED'] as const)('delivers a %s execution to the reconciler as Step Functions\' status event', async (status) => {
    const delivered: { 'detail-type': string; source: string; detail: { status: string; executionArn: string; input: string } }[] = [];
    routeInterruptedExecutions(async (event) => delivered.push(event), () => {})(ended(status));
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states', detail: { status } });
    // The reconciler finds the video from the input, as it does on AWS.
    expect(videoIdOfExecutionInput(delivered[0]!.detail.input)).toBe('video-7');
  });

  it('leaves a succeeded execution alone', () => {
    const delivered: unknown[] = [];
    routeInterruptedExecutions(async (event) => delivered.push(event), () => {})(ended('SUCCEEDED'));
    expect(delivered).toEqual([]);
  });
});
