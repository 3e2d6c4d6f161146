import { describe, expect, it } from 'vitest';
import { cuesWithinSegment } from '../../containers/ffmpeg/src/burn-in-subtitles.ts';
import { jobFromConfig, WorkerConfigSchema } from '../../containers/ffmpeg/src/config.ts';
import { estimateFargateCost, totalCost } from '../../containers/ffmpeg/src/cost.ts';
import { buildJoinArgs, buildSegmentArgs, formatConcatList } from '../../containers/ffmpeg/src/segment-commands.ts';
import { cutsAt, cutTargets, DEFAULT_SEGMENT_SETTINGS, planParts, segmentCountFor } from '../../containers/ffmpeg/src/segment-plan.ts';
import { parseConfig } from '../../functions/core/config.ts';
import { progressOf } from '../../functions/core/video.ts';

const settings = { parallelMinSeconds: 300, segmentSeconds: 120, maxConcurrency: 10 };

describe('how many segments', () => {
  it('encodes a video shorter than PARALLEL_MIN_SECONDS in one pass, and an unknown duration too', () => {
    expect(segmentCountFor(299.9, settings)).toBe(1);
    expect(segmentCountFor(undefined, settings)).toBe(1);
    expect(DEFAULT_SEGMENT_SETTINGS.parallelMinSeconds).toBeGreaterThan(DEFAULT_SEGMENT_SETTINGS.segmentSeconds);
  });

  it('cuts into about SEGMENT_SECONDS each, but never more segments than run at once', () => {
    expect(segmentCountFor(300, settings)).toBe(3);
    expect(segmentCountFor(20 * 60, settings)).toBe(10);
    // One hour at MaxConcurrency 10: ten six-minute segments in one wave, not thirty in three.
    expect(segmentCountFor(3600, settings)).toBe(10);
    expect(segmentCountFor(3600, { ...settings, maxConcurrency: 30 })).toBe(30);
  });

  it('aims the cuts at equal lengths from the first frame', () => {
    expect(cutTargets(0.5, 12, 4)).toEqual([3.5, 6.5, 9.5]);
  });
});

describe('where the cuts fall', () => {
  it('at the keyframes found, in order, none closer than 2 s to the last cut or to the end', () => {
    expect(cutsAt([6, 3, 9], 0, 12)).toEqual([3, 6, 9]);
    // Sparse keyframes: two targets find the same one; one too near the start or the end is no cut.
    expect(cutsAt([0, 4, 4, 11], 0, 12)).toEqual([4]);
    expect(cutsAt([1.5], 0, 12)).toEqual([]);
  });

  it('makes the audio part and one video segment per interval, each lasting until the next cut', () => {
    const parts = planParts({ startSeconds: 0, durationSeconds: 12, cuts: [3, 6.04, 9], frameRate: undefined, hasAudioPart: true });
    expect(parts.map((part) => part.id)).toEqual(['audio', 'v000', 'v001', 'v002', 'v003']);
    expect(parts.slice(1)).toEqual([
      { kind: 'video', id: 'v000', start: 0, end: 3, durationSeconds: 3 },
      { kind: 'video', id: 'v001', start: 3, end: 6.04, durationSeconds: expect.closeTo(3.04, 9) },
      { kind: 'video', id: 'v002', start: 6.04, end: 9, durationSeconds: expect.closeTo(2.96, 9) },
      { kind: 'video', id: 'v003', start: 9, durationSeconds: 3 },
    ]);
  });

  it('counts whole frames of the output grid for a retimed source, so the segments tile it', () => {
    // 25 fps output from a variable-rate phone clip cut at 3.01 s and 6.5 s: frames 0–75, 76–162, 163–299.
    const parts = planParts({ startSeconds: 0, durationSeconds: 12, cuts: [3.01, 6.5], frameRate: 25, hasAudioPart: false });
    const durations = parts.map((part) => (part.kind === 'video' ? part.durationSeconds * 25 : 0));
    expect(durations.map(Math.round)).toEqual([76, 87, 137]);
    expect(durations.reduce((a, b) => a + b, 0)).toBeCloseTo(300, 9);
  });
});

describe('subtitles of a segment', () => {
  const cue = (startMs: number, endMs: number, text: string) => ({ startMs, endMs, text });

  it('keeps the cues shown in it, on its own clock; a cue across the cut is in both segments', () => {
    const cues = [cue(500, 2500, 'before'), cue(2500, 3500, 'across'), cue(3500, 5000, 'after')];
    expect(cuesWithinSegment(cues, { startMs: 0, endMs: 3000 }).map((kept) => kept.text)).toEqual(['before', 'across']);
    expect(cuesWithinSegment(cues, { startMs: 3000, endMs: undefined })).toEqual([cue(0, 500, 'across'), cue(500, 2000, 'after')]);
  });

  it('drops a cue that ends exactly at the cut from the next segment', () => {
    expect(cuesWithinSegment([cue(1000, 3000, 'ends at the cut')], { startMs: 3000, endMs: 6000 })).toEqual([]);
  });
});

describe('the commands', () => {
  const video = { width: 320, height: 240, rotation: 0, sampleAspectRatio: 1, pixFmt: 'yuv420p', codec: 'h264', frameRate: { base: 25, average: 25 }, index: 0 };
  const base = {
    inputPath: '/work/source.mp4',
    outputPath: '/work/segment.mp4',
    subtitlesPath: '/work/burn-in.ass',
    fontsDir: '/fonts',
    width: 320,
    height: 240,
    crf: 23,
    preset: 'medium' as const,
    video,
    frameRate: undefined,
    sourceEtag: 'etag',
    videoStartSeconds: 0,
  };

  it('seeks to a segment’s keyframe and keeps the frames from there to the next cut, on source timestamps', () => {
    const args = buildSegmentArgs({ ...base, part: { kind: 'video', id: 'v001', start: 3, end: 6, durationSeconds: 3 } });
    const seek = args.indexOf('-ss');
    expect(args.slice(seek - 1, seek + 2)).toEqual(['-noaccurate_seek', '-ss', '3.001000']);
    expect(args.indexOf('-copyts')).toBeLessThan(args.indexOf('-i'));
    const filters = args[args.indexOf('-vf') + 1]!;
    expect(filters.startsWith('trim=start=2.999000:end=5.999000,setpts=PTS-STARTPTS,scale=320:240,setsar=1,ass=')).toBe(true);
    expect(args).toContain('-an');
  });

  it('reads the first segment from the start, and puts a retimed source on the whole file’s frame grid first', () => {
    const args = buildSegmentArgs({ ...base, frameRate: 30, part: { kind: 'video', id: 'v000', start: 0, end: 3, durationSeconds: 3 } });
    expect(args).not.toContain('-ss');
    expect(args[args.indexOf('-vf') + 1]).toMatch(/^fps=fps=30:start_time=0\.000000,trim=end=2\.999000,setpts=PTS-STARTPTS,/);
  });

  it('joins by the planned durations, copying, with the video offset where it starts in the source', () => {
    expect(formatConcatList([{ file: '/w/v000.mp4', durationSeconds: 3 }, { file: "/w/it's.mp4", durationSeconds: 2.5 }])).toBe(
      "ffconcat version 1.0\nfile '/w/v000.mp4'\nduration 3.000000\nfile '/w/it'\\''s.mp4'\nduration 2.500000\n",
    );
    const args = buildJoinArgs({ listPath: '/w/list', audioPath: '/w/audio.m4a', outputPath: '/w/out.mp4', videoOffsetSeconds: 0.05 });
    expect(args.slice(args.indexOf('-itsoffset'), args.indexOf('-itsoffset') + 2)).toEqual(['-itsoffset', '0.050000']);
    expect(args).toEqual(expect.arrayContaining(['-c', 'copy', '-movflags', '+faststart']));
    expect(buildJoinArgs({ listPath: '/w/list', audioPath: undefined, outputPath: '/w/out.mp4', videoOffsetSeconds: 0 })).not.toContain('-itsoffset');
  });
});

describe('the record', () => {
  it('adds the segments’ seconds up into one percentage while they encode, at most 99 before the join', () => {
    expect(progressOf({ status: 'processing', progress: 0, source_duration: 12, segment_progress: { v000: 3, v001: 1.5 } })).toBe(37.5);
    expect(progressOf({ status: 'processing', progress: 0, source_duration: 12, segment_progress: { v000: 3, v001: 3, v002: 3, v003: 3 } })).toBe(99);
    expect(progressOf({ status: 'saved', progress: 100, source_duration: 12, segment_progress: { v000: 3 } })).toBe(100);
    expect(progressOf({ status: 'processing', progress: 42 })).toBe(42);
  });

  it('prices a segmented job as the sum of its tasks, each at its capacity', () => {
    const size = { vcpu: 2, memoryGb: 4 };
    const spot = estimateFargateCost({ ...size, capacityProvider: 'FARGATE_SPOT', seconds: 300 });
    const onDemand = estimateFargateCost({ ...size, capacityProvider: 'FARGATE', seconds: 61 });
    const total = totalCost([spot, spot, onDemand]);
    expect(total.billed_seconds).toBe(661);
    expect(total.estimated_usd).toBeCloseTo(2 * spot.estimated_usd + onDemand.estimated_usd, 6);
    expect(total.capacity_provider).toBe('FARGATE_SPOT');
    expect(() => totalCost([])).toThrow();
  });
});

describe('the worker’s stage, from the task’s environment', () => {
  const env = {
    MEDIA_BUCKET: 'media',
    VIDEOS_TABLE: 'videos',
    TASK_TOKEN: 'token',
    VIDEO_ID: 'v1',
    SOURCE_KEY: 'uploads/v1/source.mp4',
    SOURCE_ETAG: 'etag',
    SUBTITLES_KEY: 'temp/v1/subtitles.srt',
    TARGET_RESOLUTION: '720p',
    CRF: '23',
    PRESET: 'medium',
  };

  it('is the whole job unless the workflow names a segment or the join, with the deploy’s segment settings', () => {
    expect(jobFromConfig(parseConfig(WorkerConfigSchema, env)).stage).toEqual({ name: 'whole' });
    expect(jobFromConfig(parseConfig(WorkerConfigSchema, { ...env, WORKER_STAGE: 'segment', SEGMENT: 'v003' })).stage).toEqual({ name: 'segment', part: 'v003' });
    const join = jobFromConfig(parseConfig(WorkerConfigSchema, { ...env, WORKER_STAGE: 'join', PARALLEL_MIN_SECONDS: '600', SEGMENT_MAX_CONCURRENCY: '30' }));
    expect(join.stage).toEqual({ name: 'join' });
    expect(join.segmentSettings).toEqual({ parallelMinSeconds: 600, segmentSeconds: 120, maxConcurrency: 30 });
  });

  it('refuses a segment task that names no segment, and more segments at once than a Map runs', () => {
    expect(() => parseConfig(WorkerConfigSchema, { ...env, WORKER_STAGE: 'segment' })).toThrow(/SEGMENT/);
    expect(() => parseConfig(WorkerConfigSchema, { ...env, SEGMENT_MAX_CONCURRENCY: '41' })).toThrow(/SEGMENT_MAX_CONCURRENCY/);
  });
});
