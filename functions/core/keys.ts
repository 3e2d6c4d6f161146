/**
 * The S3 key layout. Everything of one video lives under its id in three prefixes with distinct lifetimes:
 * - uploads/{id}/  what the client uploaded (kept until the video is saved, so a failed job can be retried)
 * - temp/{id}/     working files of the pipeline (deleted at the end of a run, and by the scheduled cleanup)
 * - videos/{id}/   the results users play
 */
export const UPLOADS_PREFIX = 'uploads/';
export const TEMP_PREFIX = 'temp/';
export const VIDEOS_PREFIX = 'videos/';

export const keys = {
  source: (videoId: string, extension: string) => `${UPLOADS_PREFIX}${videoId}/source.${extension}`,
  uploadedSubtitles: (videoId: string) => `${UPLOADS_PREFIX}${videoId}/subtitles.srt`,
  preparedSubtitles: (videoId: string) => `${TEMP_PREFIX}${videoId}/subtitles.srt`,
  output: (videoId: string) => `${VIDEOS_PREFIX}${videoId}/video.mp4`,
  /** The subtitles as burned in, next to the MP4, for players that show a subtitle track. */
  subtitleSidecar: (videoId: string, format: 'srt' | 'vtt') => `${VIDEOS_PREFIX}${videoId}/subtitles.${format}`,
  tempPrefix: (videoId: string) => `${TEMP_PREFIX}${videoId}/`,
  /** A segmented encode's working files: its plan, each part's encode (video segment or audio) and report. */
  segmentPlan: (videoId: string) => `${TEMP_PREFIX}${videoId}/segments/plan.json`,
  segmentPart: (videoId: string, part: string, extension: 'mp4' | 'm4a') => `${TEMP_PREFIX}${videoId}/segments/${part}.${extension}`,
  segmentReport: (videoId: string, part: string) => `${TEMP_PREFIX}${videoId}/segments/${part}.json`,
};

/**
 * Only the video source starts the workflow; the subtitles uploaded beside it must not.
 * The same rule is the EventBridge pattern on AWS (`uploads/*\/source.*`) and the local bridge's filter.
 */
export const SOURCE_UPLOAD_KEY_WILDCARD = `${UPLOADS_PREFIX}*/source.*`;
const SOURCE_UPLOAD_KEY_PATTERN = /^uploads\/[^/]+\/source\.[A-Za-z0-9]+$/;

export function isSourceUploadKey(key: string): boolean {
  return SOURCE_UPLOAD_KEY_PATTERN.test(key);
}

export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}
