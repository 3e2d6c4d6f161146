import { z } from 'zod';
import { JobCostSchema, SubtitleFilesSchema, TimingsSchema } from './video.ts';

/**
 * The contract between the FFmpeg worker (containers/ffmpeg) and the workflow: the Transcode task's output,
 * sent with SendTaskSuccess and read by RecordResult in statemachine/pipeline.asl.json.
 */
export const TranscodeOutputSchema = z.object({
  /** Seconds, 3 decimals. */
  duration: z.number(),
  width: z.number().int(),
  height: z.number().int(),
  /** "WxH" */
  resolution: z.string(),
  /** Bytes. */
  file_size: z.number().int(),
  s3_uri: z.string(),
  output_key: z.string(),
  timings: TimingsSchema,
  cost: JobCostSchema,
  /** The subtitles next to the MP4, as burned in (cues after the end dropped). */
  subtitle_files: SubtitleFilesSchema,
  cue_count: z.number().int(),
  finished_at: z.iso.datetime(),
});
export type TranscodeOutput = z.infer<typeof TranscodeOutputSchema>;
