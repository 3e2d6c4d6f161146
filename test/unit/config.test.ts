import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../functions/core/config.ts';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({ MEDIA_BUCKET: 'media', VIDEOS_TABLE: 'videos' });
    expect(config).toMatchObject({
      FFMPEG_PRESET: 'medium',
      MAX_UPLOAD_BYTES: 5 * 1024 ** 3,
      MAX_SUBTITLES_BYTES: 2 * 1024 ** 2,
      PLAYBACK_URL_TTL_SECONDS: 3600,
      ALLOWED_ORIGINS: ['*'],
    });
  });

  it('coerces numbers and splits the origin list', () => {
    const config = loadConfig({
      MEDIA_BUCKET: 'media',
      VIDEOS_TABLE: 'videos',
      MAX_UPLOAD_BYTES: '1000',
      ALLOWED_ORIGINS: 'https://a.example, https://b.example',
    });
    expect(config.MAX_UPLOAD_BYTES).toBe(1000);
    expect(config.ALLOWED_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
  });

  it('fails at start naming every missing or malformed variable', () => {
    expect(() => loadConfig({ VIDEOS_TABLE: 'videos', FFMPEG_PRESET: 'warp-speed' })).toThrow(ConfigError);
    expect(() => loadConfig({ VIDEOS_TABLE: 'videos', FFMPEG_PRESET: 'warp-speed' })).toThrow(
      /MEDIA_BUCKET.*FFMPEG_PRESET/,
    );
  });

  it('refuses a playback URL lifetime above 12 hours', () => {
    expect(() => loadConfig({ MEDIA_BUCKET: 'media', VIDEOS_TABLE: 'v', PLAYBACK_URL_TTL_SECONDS: '43201' })).toThrow(
      /PLAYBACK_URL_TTL_SECONDS/,
    );
  });
});
