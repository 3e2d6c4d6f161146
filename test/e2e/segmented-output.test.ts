import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient, uploadSubtitles, uploadVideo, waitForFinalStatus } from '../../infra/dev-kit/api-client.ts';
import {
  changedShareInBottom,
  decodeFirstChannel,
  flashTimes,
  keyframeTimes,
  largestDifference,
  packetGaps,
  packetTimings,
  playedSeconds,
  psnrAgainst,
  readGrayFrames,
  toneOnsets,
  windowRms,
  type GrayFrames,
} from '../../infra/dev-kit/media-inspect.ts';
import { cuesOverEveryKeyframe, makeSyncClip, SYNC_CLIP, SYNC_CLIP_NTSC, syncClipFlashes, syncClipTime, writeSrt, type SyncClip } from '../../infra/dev-kit/sample-media.ts';
import { startLocalCloud } from '../../infra/local/cloud.ts';
import type { PublicVideo } from '../../functions/core/video.ts';

/**
 * Issue 14: a long video encoded as parallel segments, cut at source keyframes and joined with `-c copy`, must
 * be the video a one-pass encode makes. Each clip goes through two local clouds, one that segments it (4 s
 * segments from 6 s on) and one that never does, and both outputs are measured the way a viewer would notice a
 * difference: length, frames, lip sync, the sound at the joins, the subtitles, the picture quality.
 *
 * A sync clip has a white frame and a 1 kHz beep over a 440 Hz tone every 2 s, and a keyframe every second:
 * wherever the planner cuts, the checks at "every cut" run at every keyframe, a superset of the cuts. It cuts
 * the 30 fps clip in five, at 4, 8, 12 and 16 s, between two flashes, where the sound is the tone alone; the
 * 29.97 fps one in six, at 3.003, 6.006, 10.01, 13.013 and 16.016 s, three of them on a flash and its beep.
 */
const CLIPS = [
  ['30 fps', SYNC_CLIP],
  ['29.97 fps', SYNC_CLIP_NTSC],
] as const;
const JOBS = ['one pass', 'segmented'] as const;
type Job = (typeof JOBS)[number];
/** A threshold no clip reaches turns segmenting off. */
const WORKER_ENV: Record<Job, Record<string, string>> = {
  'one pass': { PARALLEL_MIN_SECONDS: '100000' },
  segmented: { PARALLEL_MIN_SECONDS: '6', SEGMENT_SECONDS: '4' },
};
/** A line of text changes about 2 % of the bottom band (changedShareInBottom); a quarter of that counts as drawn. */
const SUBTITLE_DRAWN_SHARE = 0.005;
/** The subtitles are drawn in the bottom 30 % (changedShareInBottom's band): the PSNR is taken above it. */
const PICTURE_ABOVE_SUBTITLES = 0.7;

/** What the checks need to know about one clip. */
interface ClipFacts {
  frame: number;
  /** The bed alone: its RMS. A gap or a fade at a join pulls a 10 ms window below 80 % of it. */
  bedRms: number;
  /** The most the bed plus a beep can move (first difference) and bend (second) from one sample to the next at 48 kHz. */
  toneMaxStep: number;
  toneMaxBend: number;
  /** A beep's start and end bend the waveform by design (and AAC smears that over a few ms): not clicks. */
  beepEdges: { fromSeconds: number; toSeconds: number }[];
  /** Source keyframes after the first: every place a segment may start. */
  cuts: number[];
}

function factsOf(clip: SyncClip, keyframes: readonly number[]): ClipFacts {
  const perSample = (frequency: number) => (2 * Math.PI * frequency) / 48000;
  const tones = [clip.bed, clip.beep];
  return {
    frame: clip.rate.perSeconds / clip.rate.frames,
    bedRms: clip.bed.amplitude / Math.SQRT2,
    toneMaxStep: tones.reduce((sum, { frequency, amplitude }) => sum + amplitude * perSample(frequency), 0),
    toneMaxBend: tones.reduce((sum, { frequency, amplitude }) => sum + amplitude * perSample(frequency) ** 2, 0),
    beepEdges: syncClipFlashes(clip).flatMap((onset) => [onset, onset + clip.beep.seconds].map((edge) => ({ fromSeconds: edge - 0.01, toSeconds: edge + 0.01 }))),
    cuts: keyframes.filter((time) => time > 0),
  };
}

interface Measured {
  path: string;
  videoSeconds: number;
  audioSeconds: number;
  frameCount: number;
  audioGaps: { atSeconds: number; seconds: number }[];
  videoGaps: { atSeconds: number; seconds: number }[];
  frames: GrayFrames;
  flashes: number[];
  beeps: number[];
  audio: Awaited<ReturnType<typeof decodeFirstChannel>>;
}

interface Output extends Measured {
  record: PublicVideo;
  psnr: number;
}

let workDir: string;

beforeAll(async () => {
  process.env.LOG_LEVEL = 'warn';
  workDir = await mkdtemp(join(tmpdir(), 'vidp-segmented-'));
});

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** Frame indices (in presentation order) of the last frame before and the first frame from each cut. */
function framesAtCuts(times: readonly number[], { cuts, frame }: ClipFacts): Set<number> {
  const firstFrom = (cut: number) => times.findIndex((time) => time >= cut - frame / 2);
  return new Set(cuts.flatMap((cut) => [firstFrom(cut) - 1, firstFrom(cut)]));
}

/** The kept frame (see framesAtCuts) shown at `time`, if any. */
function keptFrameAt(frames: GrayFrames, time: number, frame: number): Uint8Array {
  return [...frames.kept].find(([index]) => Math.abs(frames.times[index]! - time) < frame / 2)?.[1] ?? new Uint8Array();
}

async function measure(path: string, clip: SyncClip, facts: ClipFacts): Promise<Measured> {
  const [videoPackets, audioPackets, audio] = await Promise.all([packetTimings(path, 'v:0'), packetTimings(path, 'a:0'), decodeFirstChannel(path)]);
  const atCuts = framesAtCuts(videoPackets.map((packet) => packet.ptsSeconds), facts);
  const frames = await readGrayFrames(path, (index) => atCuts.has(index));
  return {
    path,
    videoSeconds: playedSeconds(videoPackets),
    audioSeconds: playedSeconds(audioPackets),
    frameCount: videoPackets.length,
    audioGaps: packetGaps(audioPackets, 0.001),
    videoGaps: packetGaps(videoPackets, 0.001),
    frames,
    flashes: flashTimes(frames),
    beeps: toneOnsets(audio.samples, audio.sampleRate, clip.beep.frequency, clip.beep.amplitude).map((onset) => onset + audio.startSeconds),
    audio,
  };
}

/** Uploads the clip and its subtitles to a cloud with this worker environment; the saved record and the MP4. */
async function encodeThrough(job: Job, sourcePath: string, subtitlesPath: string): Promise<{ record: PublicVideo; path: string }> {
  const cloud = await startLocalCloud({ port: 0, logger: () => {}, workerEnv: WORKER_ENV[job] });
  try {
    const api = createApiClient(cloud.apiUrl);
    const created = await api.createVideo({
      filename: 'sync.mp4',
      content_type: 'video/mp4',
      size: (await stat(sourcePath)).size,
      resolution: '360p',
      crf: 23,
      preset: 'veryfast',
      subtitles: { source: 'upload' },
    });
    await uploadSubtitles(created, subtitlesPath);
    await uploadVideo(api, created, sourcePath);
    const record = await waitForFinalStatus(api, created.video.id, { timeoutMs: 100_000 });
    if (record.status !== 'saved' || record.playback_url === undefined) throw new Error(`The ${job} job ended ${record.status}: ${JSON.stringify(record.error)}`);
    const path = sourcePath.replace(/source\.mp4$/, `${job.replace(' ', '-')}.mp4`);
    await writeFile(path, Buffer.from(await (await fetch(record.playback_url)).arrayBuffer()));
    return { record, path };
  } finally {
    await cloud.stop();
  }
}

const seconds = (value: number) => `${value.toFixed(4)} s`;

describe.each(CLIPS)('a 20 s clip at %s', (label, clip) => {
  let facts: ClipFacts;
  let source: Measured;
  const outputs = {} as Record<Job, Output>;

  beforeAll(async () => {
    const sourcePath = join(workDir, `${label.replace(/\W/g, '')}-source.mp4`);
    const subtitlesPath = join(workDir, `${label.replace(/\W/g, '')}-subtitles.srt`);
    await Promise.all([makeSyncClip(sourcePath, clip), writeSrt(subtitlesPath, cuesOverEveryKeyframe(syncClipTime(clip, clip.frames)))]);
    facts = factsOf(clip, await keyframeTimes(sourcePath));
    source = await measure(sourcePath, clip, facts);
    // One cloud at a time: each runs its encodes on both cores.
    for (const job of JOBS) {
      const { record, path } = await encodeThrough(job, sourcePath, subtitlesPath);
      const [measured, psnr] = await Promise.all([measure(path, clip, facts), psnrAgainst(path, sourcePath, PICTURE_ABOVE_SUBTITLES)]);
      outputs[job] = { record, psnr, ...measured };
    }
    }, 240_000);

  describe('the segmented job', () => {
    it('is recorded as 3 or more segments, the one-pass job as one', () => {
      expect(outputs['segmented'].record.segment_count, 'a 20 s clip over 4 s segments from 6 s on was not split').toBeGreaterThanOrEqual(3);
      expect(outputs['one pass'].record.segment_count, 'the reference job was segmented too').toBe(1);
    });

    it('has a picture as good as the one-pass job: PSNR against the source (above the subtitles) within 0.3 dB', () => {
      const { psnr: segmented } = outputs['segmented'];
      const { psnr: onePass } = outputs['one pass'];
      expect(Math.abs(segmented - onePass), `PSNR segmented ${segmented.toFixed(2)} dB, one pass ${onePass.toFixed(2)} dB: a viewer sees a softer or blockier picture`).toBeLessThanOrEqual(0.3);
    });

    it('draws the same subtitles as the one-pass job on the frames either side of every cut', () => {
      const onePass = outputs['one pass'].frames;
      const { frames } = outputs['segmented'];
      const differing = [...frames.kept]
        .map(([index, pixels]) => ({
          atSeconds: frames.times[index]!,
          changedShare: changedShareInBottom(keptFrameAt(onePass, frames.times[index]!, facts.frame), pixels, frames.width, frames.height),
        }))
        // Encoding noise on the text's edges stays far below what drawing a line of text changes.
        .filter(({ changedShare }) => changedShare > SUBTITLE_DRAWN_SHARE);
      expect(differing, 'frames at a cut whose subtitle band differs from the one-pass output as much as a subtitle does: another cue, or the cue moved, at the join').toEqual([]);
    });
  });

  describe.each(JOBS)('the %s output, against its source', (name) => {
    const output = () => outputs[name];

    it('plays as long as the source, within one frame, picture and sound', () => {
      const { videoSeconds, audioSeconds, record } = output();
      expect(Math.abs(videoSeconds - source.videoSeconds), `picture plays ${seconds(videoSeconds)}, source ${seconds(source.videoSeconds)}: the video ends early or freezes on its last frame`).toBeLessThanOrEqual(facts.frame);
      expect(Math.abs(audioSeconds - source.audioSeconds), `sound plays ${seconds(audioSeconds)}, source ${seconds(source.audioSeconds)}: the sound is cut short or runs on`).toBeLessThanOrEqual(facts.frame);
      expect(Math.abs((record.duration ?? 0) - source.videoSeconds), `the record says ${record.duration} s for a ${source.videoSeconds} s source`).toBeLessThanOrEqual(facts.frame);
    });

    it('has as many frames as the source, within one, with no hole between two of them', () => {
      const { frameCount, videoGaps } = output();
      expect(Math.abs(frameCount - source.frameCount), `${frameCount} frames for the source's ${source.frameCount}: frames dropped or repeated at a join`).toBeLessThanOrEqual(1);
      expect(videoGaps, 'the picture freezes where one frame ends before the next starts').toEqual([]);
    });

    it('shows every white flash at its source time and within one frame of its beep, in every segment', () => {
      const { flashes, beeps } = output();
      expect(flashes.length, `${flashes.length} flashes seen, the source has ${source.flashes.length}: a flash frame lost at a join`).toBe(source.flashes.length);
      expect(beeps.length, `${beeps.length} beeps heard, the source has ${source.beeps.length}`).toBe(source.beeps.length);
      const shifts = flashes.map((flash, index) => ({ flash, fromSource: flash - source.flashes[index]!, beepAfterFlash: beeps[index]! - flash }));
      const lateOrEarly = shifts.filter(({ fromSource, beepAfterFlash }) => Math.abs(fromSource) > facts.frame || Math.abs(beepAfterFlash) > facts.frame);
      expect(lateOrEarly, `flashes off their source time or their beep by more than one frame (${seconds(facts.frame)}): lips out of sync after a join`).toEqual([]);
    });

    it('plays the tone without a gap or a drop at any cut', () => {
      const { audio, audioGaps } = output();
      expect(audioGaps, 'silence a player inserts between two audio packets').toEqual([]);
      const quietest = facts.cuts.map((cut) => ({
        cut,
        rms: Math.min(...windowRms(audio.samples, audio.sampleRate, cut - audio.startSeconds - 0.25, cut - audio.startSeconds + 0.25)),
      }));
      const drops = quietest.filter(({ rms }) => rms < 0.8 * facts.bedRms);
      expect(drops, `10 ms windows within 0.25 s of a cut quieter than 80 % of the tone (${facts.bedRms.toFixed(3)} RMS): the sound drops out`).toEqual([]);
    });

    it('plays no click at any cut', () => {
      const { audio } = output();
      const around = (cut: number, order: 1 | 2) =>
        largestDifference(audio.samples, audio.sampleRate, { fromSeconds: cut - audio.startSeconds - 0.05, toSeconds: cut - audio.startSeconds + 0.05, order, skip: facts.beepEdges });
      const steps = facts.cuts.map((cut) => ({ cut, step: around(cut, 1) })).filter(({ step }) => step > 2 * facts.toneMaxStep);
      const kinks = facts.cuts.map((cut) => ({ cut, bend: around(cut, 2) })).filter(({ bend }) => bend > 2 * facts.toneMaxBend);
      expect(steps, `within 50 ms of a cut, sample-to-sample steps over twice the tones' steepest (${facts.toneMaxStep.toFixed(4)}): a click at the join`).toEqual([]);
      expect(kinks, `within 50 ms of a cut, bends over twice the tones' sharpest (${facts.toneMaxBend.toFixed(5)}): the waveform jumps phase, a click at the join`).toEqual([]);
    });

    it('draws the subtitles on the last frame before and the first frame after every cut', () => {
      const { frames } = output();
      const missing = [...frames.kept]
        .map(([index, pixels]) => ({
          atSeconds: frames.times[index]!,
          changedShare: changedShareInBottom(keptFrameAt(source.frames, frames.times[index]!, facts.frame), pixels, frames.width, frames.height),
        }))
        .filter(({ changedShare }) => changedShare <= SUBTITLE_DRAWN_SHARE);
      expect(frames.kept.size, 'frames kept at the cuts').toBe(2 * facts.cuts.length);
      expect(missing, 'frames at a cut, inside a cue, whose bottom looks like the source: the subtitle blinks off at the join').toEqual([]);
    });
  });
});
