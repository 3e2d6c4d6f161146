import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FARGATE_PRICES } from '../../containers/ffmpeg/src/cost.ts';
import { SPOT_INTERRUPTION_REASON } from '../../infra/local/ecs/capacity-providers.ts';
import { expectCleanEnd, finalStatus, startFaultyWorkerHarness, submitVideo, transcodeAttempts, type Harness } from '../support/workflow-harness.ts';

/**
 * Fargate Spot through the real state machine and worker: the Transcode task runs on FARGATE_SPOT, a Spot
 * interruption (SIGTERM to the worker, as Fargate sends it) mid-encode makes the worker report
 * TaskInterruptedError, and the workflow runs the job once more on on-demand FARGATE. Each encode is held at
 * its first progress report (faultyFfmpeg's `hold-progress`), so the interruption always lands mid-encode.
 */
type Setup = Awaited<ReturnType<typeof startFaultyWorkerHarness>>;
const CLIP = { seconds: 3, width: 320, height: 240 };

/** The record once the worker reports progress past the start: the held encode is under way. */
async function encoding(harness: Harness, id: string) {
  return vi.waitUntil(
    async () => {
      const video = await harness.api.getVideo(id);
      return video.status === 'processing' && (video.progress ?? 0) > 0 && video;
    },
    { timeout: 30_000, interval: 100 },
  );
}

/** A harness of the describe block it is called in: started before its tests, stopped after them. */
function harnessForBlock(cloud: Parameters<typeof startFaultyWorkerHarness>[0]['cloud'] = {}): () => Setup {
  let setup: Setup | undefined;
  beforeAll(async () => {
    setup = await startFaultyWorkerHarness({ workerEnv: {}, clip: CLIP, cloud });
  });
  afterAll(async () => {
    await setup?.stop();
  });
  return () => setup!;
}

describe('on Fargate Spot (the default)', () => {
  const current = harnessForBlock();

  it('a Spot interruption mid-encode: the worker reports it, the job runs again on FARGATE and is saved, priced on demand', async () => {
    const { harness, faults, clip, subtitles } = current();
    const video = await submitVideo(harness, { source: clip, subtitles, beforeUpload: (id) => faults.inject(id, 'hold-progress') });
    await encoding(harness, video.id);

    // As a person would: the local endpoint, by video id.
    const interrupted = await fetch(`${harness.cloud.gatewayUrl}/_local/tasks/${video.id}/interrupt`, { method: 'POST' });
    expect(interrupted.status).toBe(200);
    expect(await interrupted.json()).toMatchObject({ label: video.id, capacityProvider: 'FARGATE_SPOT' });
    const final = await finalStatus(harness, video);

    const executions = await expectCleanEnd(harness, video, final, { status: 'saved' });
    const trace = executions.flatMap((execution) => execution.trace);
    expect(trace.filter((entry) => entry.state === 'Transcode' && entry.type === 'StateFailed').map((entry) => entry.error)).toEqual([
      'TaskInterruptedError',
    ]);
    expect(trace.filter((entry) => entry.type === 'StateEntered').map((entry) => entry.state)).toContain('FallBackToOnDemand');
    expect(transcodeAttempts(executions)).toBe(2);
    // What RunTask asked the local ECS for, attempt by attempt.
    const tasks = harness.cloud.ecsTasks().filter((task) => task.label === video.id);
    expect(tasks.map(({ capacityProvider, stoppedReason }) => ({ capacityProvider, stoppedReason }))).toEqual([
      { capacityProvider: 'FARGATE_SPOT', stoppedReason: SPOT_INTERRUPTION_REASON },
      { capacityProvider: 'FARGATE', stoppedReason: undefined },
    ]);
    // The cost is the run that made the video, on demand at the worker's prices (2 vCPU, 4 GB locally).
    const cost = final.cost!;
    expect(cost.capacity_provider).toBe('FARGATE');
    expect(cost.estimated_usd).toBeCloseTo(((2 * FARGATE_PRICES.vcpuHourUsd + 4 * FARGATE_PRICES.gbHourUsd) * cost.billed_seconds) / 3600, 6);
    expect(final.timeline?.map((entry) => entry.status)).toEqual(['awaiting_upload', 'queued', 'processing', 'processing', 'saved']);
  });

  it('a job that is not interrupted is saved from its Spot run, priced at the Spot discount', async () => {
    const { harness, clip, subtitles } = current();
    const video = await submitVideo(harness, { source: clip, subtitles });

    const final = await finalStatus(harness, video);

    await expectCleanEnd(harness, video, final, { status: 'saved' });
    expect(harness.cloud.ecsTasks().filter((task) => task.label === video.id).map((task) => task.capacityProvider)).toEqual(['FARGATE_SPOT']);
    const cost = final.cost!;
    expect(cost.capacity_provider).toBe('FARGATE_SPOT');
    expect(cost.estimated_usd).toBeCloseTo((0.5 * (2 * FARGATE_PRICES.vcpuHourUsd + 4 * FARGATE_PRICES.gbHourUsd) * cost.billed_seconds) / 3600, 6);
  });
});

describe('with Spot turned off (fargateSpot: false)', () => {
  const current = harnessForBlock({ fargateSpot: false });

  it('the first attempt runs on FARGATE, which is never interrupted', async () => {
    const { harness, faults, clip, subtitles } = current();
    const video = await submitVideo(harness, { source: clip, subtitles, beforeUpload: (id) => faults.inject(id, 'hold-progress') });
    await encoding(harness, video.id);

    expect(() => harness.cloud.interruptSpotTask(video.id)).toThrow(/runs on FARGATE: only FARGATE_SPOT tasks are interrupted/);
    const refused = await fetch(`${harness.cloud.gatewayUrl}/_local/tasks/${video.id}/interrupt`, { method: 'POST' });
    expect(refused.status).toBe(409);
    await faults.release(video.id);
    const final = await finalStatus(harness, video);

    const executions = await expectCleanEnd(harness, video, final, { status: 'saved' });
    expect(transcodeAttempts(executions)).toBe(1);
    expect(harness.cloud.ecsTasks().filter((task) => task.label === video.id).map((task) => task.capacityProvider)).toEqual(['FARGATE']);
    expect(final.cost?.capacity_provider).toBe('FARGATE');
  });
});
