/**
 * What the output will be, decided from the probed source before encoding: its size in the box, the video
 * stream as it will be read (with how its fields move, for an interlaced one), the frame rate, and the audio
 * track kept (with the tracks dropped, for the record).
 */
import { InputInvalidError } from '../../../functions/core/errors.ts';
import { describeAudioTrack, planAudio, type AudioPlan } from './audio-plan.ts';
import { displayDimensions, fitWithinBox, isInterlaced, outputFrameRate, sourceInputOptions, type Dimensions } from './ffmpeg-command.ts';
import { detectFieldMotion } from './field-motion.ts';
import type { ProbedVideo, ProbedVideoStream } from './probe.ts';

/** Below this many pixels on a side a source is refused with a clear message, not upscaled from a dot. */
const MIN_SOURCE_SIDE = 16;

export interface OutputPlan {
  displayed: Dimensions;
  size: Dimensions;
  video: ProbedVideoStream;
  frameRate: number | undefined;
  audio: AudioPlan | undefined;
  /** "Kept audio track 2 (fre, 2 ch, default); dropped track 1 (eng, 2 ch)", when a track was dropped. */
  audioWarnings: string[];
}

export async function planOutput(
  source: ProbedVideo,
  options: { location: string; etag: string; box: Dimensions; ffmpegPath: string; timeoutMs: number; signal: AbortSignal },
): Promise<OutputPlan> {
  const displayed = displayDimensions(source.video);
  if (Math.min(displayed.width, displayed.height) < MIN_SOURCE_SIDE) {
    throw new InputInvalidError(
      `The video is ${displayed.width}x${displayed.height} pixels: too small to subtitle (at least ${MIN_SOURCE_SIDE} pixels on each side)`,
    );
  }
  // Flagged interlaced: idet tells video shot interlaced (deinterlaced at field rate) from film carried as
  // fields (25PsF: deinterlaced at its frame rate).
  const fieldMotion = isInterlaced(source.video)
    ? await detectFieldMotion(options.location, {
        ffmpegPath: options.ffmpegPath,
        inputOptions: sourceInputOptions(options.location, options.etag),
        streamMap: source.video.index === undefined ? '0:v:0' : `0:${source.video.index}`,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
      })
    : undefined;
  const video = { ...source.video, fieldMotion };
  const audio = planAudio(source.audio);
  const audioWarnings =
    audio !== undefined && audio.dropped.length > 0
      ? [
          `Kept audio ${describeAudioTrack(audio.kept, source.audio)}; dropped ${audio.dropped
            .map((track) => describeAudioTrack(track, source.audio))
            .join(', ')}`,
        ]
      : [];
  return { displayed, size: fitWithinBox(displayed, options.box), video, frameRate: outputFrameRate(video), audio, audioWarnings };
}
