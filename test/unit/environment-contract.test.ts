import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WorkerConfigSchema, WorkerJobEnvironmentSchema, WorkerTaskEnvironmentSchema } from '../../containers/ffmpeg/src/config.ts';
import { requiredVariablesOf, variablesOf } from '../../functions/core/environment-contract.ts';
import { localWorkerTaskEnvironment, workerSettingsFrom } from '../../infra/local/aws-environment.ts';

/**
 * The ASL hands the worker its job as environment variables (ContainerOverrides): a name the worker does
 * not read is lost silently, one it requires and does not get fails every job at start. TypeScript cannot
 * see into the ASL, so this test holds it to the worker's own schema.
 */
interface AslStates {
  States: Record<string, { Parameters?: { Overrides?: { ContainerOverrides?: { Environment: { Name: string }[] }[] } }; ItemProcessor?: AslStates }>;
}
const asl = JSON.parse(readFileSync(new URL('../../statemachine/pipeline.asl.json', import.meta.url), 'utf8')) as AslStates;
const overridesOf = (name: string) => {
  const state = asl.States[name] ?? asl.States.EncodeSegments!.ItemProcessor!.States[name]!;
  return state.Parameters!.Overrides!.ContainerOverrides!.flatMap((container) => container.Environment.map((variable) => variable.Name));
};
/** Every task of the worker: the whole job (or the plan), each segment of a long video, the join. */
const WORKER_TASKS = ['Transcode', 'EncodeSegment', 'JoinSegments'];
const overridden = [...new Set(WORKER_TASKS.flatMap(overridesOf))];

describe('the worker\'s environment contract', () => {
  it('the ASL passes only variables the worker reads', () => {
    expect(overridden.filter((name) => !variablesOf(WorkerConfigSchema).includes(name))).toEqual([]);
  });

  it.each(WORKER_TASKS)('%s passes every job variable the worker requires', (task) => {
    expect(requiredVariablesOf(WorkerJobEnvironmentSchema).filter((name) => !overridesOf(task).includes(name))).toEqual([]);
  });

  it('the local cloud hands the worker the settings of its own environment, never the resources', () => {
    expect(workerSettingsFrom({ PARALLEL_MIN_SECONDS: '60', FONTS_DIR: '/fonts', MEDIA_BUCKET: 'other', HOME: '/root' })).toEqual({
      PARALLEL_MIN_SECONDS: '60',
      FONTS_DIR: '/fonts',
    });
  });

  it('the job and the fixed part of the environment do not overlap: ContainerOverrides never masks the task definition', () => {
    expect(variablesOf(WorkerJobEnvironmentSchema).filter((name) => variablesOf(WorkerTaskEnvironmentSchema).includes(name))).toEqual([]);
  });

  it('the local task definition gives the worker every fixed variable it requires', () => {
    const local = localWorkerTaskEnvironment({ bucket: 'media', table: 'videos' });
    expect(requiredVariablesOf(WorkerTaskEnvironmentSchema).filter((name) => local[name as keyof typeof local] === undefined)).toEqual([]);
  });

  it('tells a required variable from one with a default', () => {
    expect(requiredVariablesOf(WorkerTaskEnvironmentSchema)).toEqual(['MEDIA_BUCKET', 'VIDEOS_TABLE']);
    expect(requiredVariablesOf(WorkerJobEnvironmentSchema)).toEqual(['TASK_TOKEN', 'VIDEO_ID', 'SOURCE_KEY', 'SOURCE_ETAG', 'SUBTITLES_KEY', 'TARGET_RESOLUTION', 'CRF', 'PRESET']);
  });
});
