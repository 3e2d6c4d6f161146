import type { VideoRecord } from '../../functions/core/video.ts';

/** A valid record as create-upload writes it, keyed under its id; tests override what they are about. */
export function aVideoRecord(overrides: Partial<VideoRecord> & { id?: string } = {}): VideoRecord {
  const id = overrides.id ?? '6f1c2a8e-0000-4000-8000-000000000001';
  return {
    id,
    filename: 'talk.mp4',
    content_type: 'video/mp4',
    upload_size: 1000,
    status: 'awaiting_upload',
    target_resolution: '720p',
    crf: 23,
    preset: 'medium',
    subtitles: { source: 'upload', key: `uploads/${id}/subtitles.srt` },
    source_key: `uploads/${id}/source.mp4`,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}
