import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, toCliError } from '../../cli/errors.ts';
import { formatVideo } from '../../cli/format.ts';
import { createLineDisplay } from '../../cli/progress.ts';
import { cacheDirectory, createResumeStore } from '../../cli/resume-store.ts';
import { aVideoRecord } from '../support/video-record.ts';
import { VidpAbortedError, VidpApiError, VidpStorageError, VidpUnreachableError, type UploadProgress, type Video } from '../../web/client/index.ts';

const MiB = 1024 * 1024;
const progress = (sentBytes: number, extra: Partial<UploadProgress> = {}): UploadProgress => ({
  sentBytes,
  confirmedBytes: sentBytes,
  totalBytes: 100 * MiB,
  inFlightBytes: 0,
  resumedBytes: 0,
  partsDone: 0,
  partCount: 7,
  ...extra,
});
const video = (status: Video['status'], extra: Partial<Video> = {}) => ({ id: 'v1', status, ...extra }) as Video;

describe('the plain progress lines', () => {
  it('say each 10 % of the upload once, however many events cross it', () => {
    const lines: string[] = [];
    const display = createLineDisplay((line) => lines.push(line), 'talk.mp4');
    for (const mib of [0, 3, 9, 10, 16, 19, 33, 99, 100]) display.upload(progress(mib * MiB));
    expect(lines.map((line) => line.split('  ').slice(0, 2).join('  '))).toEqual([
      'upload  0 %',
      'upload  10 %',
      'upload  33 %',
      'upload  99 %',
      'upload  100 %',
    ]);
    expect(lines[0]).toBe('upload  0 %  0 B of 100 MiB  (0 of 7 parts)');
  });

  it('say 100 % only once S3 has confirmed every part, not when the last bytes have left', () => {
    const lines: string[] = [];
    const display = createLineDisplay((line) => lines.push(line), 'talk.mp4');
    display.upload(progress(100 * MiB, { confirmedBytes: 90 * MiB, partsDone: 6 }));
    display.upload(progress(100 * MiB, { confirmedBytes: 100 * MiB, partsDone: 7 }));
    expect(lines.map((line) => line.split('  ')[1])).toEqual(['99 %', '100 %']);
    expect(lines[1]).toMatch(/\(7 of 7 parts\)$/);
  });

  it('say what a resumed upload already had', () => {
    const lines: string[] = [];
    createLineDisplay((line) => lines.push(line), 'talk.mp4').upload(progress(32 * MiB, { resumedBytes: 32 * MiB, partsDone: 2 }));
    expect(lines[0]).toBe('resuming talk.mp4: 2 of 7 parts (32 MiB) already uploaded');
  });

  it('say each status change once, processing each 10 %, and a failure with its code', () => {
    const lines: string[] = [];
    const display = createLineDisplay((line) => lines.push(line), 'talk.mp4');
    for (const update of [
      video('awaiting_upload'),
      video('processing'),
      video('processing', { progress: 4 }),
      video('processing', { progress: 12.5 }),
      video('processing', { progress: 18 }),
      video('processing', { progress: 31 }),
      video('failed', { error: { code: 'input_invalid', message: 'Not a video' } }),
    ]) {
      display.video(update);
    }
    expect(lines).toEqual(['status  processing', 'processing  4 %', 'processing  12 %', 'processing  31 %', 'status  failed  input_invalid: Not a video']);
  });
});

describe('the exit code of each failure', () => {
  it.each([
    ['the API refused', new VidpApiError(404, 'not_found', 'No such video', 'req-1'), EXIT_CODES.failed, 'not_found'],
    ['S3 refused an upload', new VidpStorageError(400, 'EntityTooLarge', 'too big'), EXIT_CODES.failed, 'EntityTooLarge'],
    ['no answer', new VidpUnreachableError('http://127.0.0.1:1/api'), EXIT_CODES.unreachable, 'unreachable'],
    ['Ctrl-C', new VidpAbortedError(), EXIT_CODES.interrupted, 'interrupted'],
    ['commander refused an option', new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"), EXIT_CODES.usage, 'unknown_option'],
    ['a bug', new TypeError('x is undefined'), EXIT_CODES.failed, 'unexpected'],
  ])('%s', (_case, error, exitCode, code) => {
    expect(toCliError(error)).toMatchObject({ exitCode, code });
  });
});

describe('where resume records are kept', () => {
  it('is VIDP_CACHE_DIR when set, else $XDG_CACHE_HOME/vidp, else ~/.cache/vidp', () => {
    const saved = process.env.XDG_CACHE_HOME;
    try {
      expect(cacheDirectory({ VIDP_CACHE_DIR: '/tmp/vidp-test' })).toBe('/tmp/vidp-test');
      process.env.XDG_CACHE_HOME = '/xdg/cache';
      expect(cacheDirectory({})).toBe('/xdg/cache/vidp');
      delete process.env.XDG_CACHE_HOME;
      expect(cacheDirectory({})).toBe(join(homedir(), '.cache', 'vidp'));
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });

  it('keeps one record per file and API, found again by the fingerprint, gone once removed', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'vidp-resume-'));
    try {
      const local = createResumeStore(directory, 'http://127.0.0.1:3000/api');
      const deployed = createResumeStore(directory, 'https://vidp.example/api');
      const record = { video_id: 'v1', client_token: 't1', settings: '{}', file: '/x/talk.mp4', created_at: 'now' };
      await local.save('fingerprint-1', record);
      expect(await local.find('fingerprint-1')).toEqual(record);
      expect(await local.find('fingerprint-2')).toBeUndefined();
      expect(await deployed.find('fingerprint-1')).toBeUndefined();
      await local.remove('fingerprint-1');
      expect(await local.find('fingerprint-1')).toBeUndefined();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('vidp get', () => {
  const shown = (extra: Partial<Video>) =>
    formatVideo({ ...aVideoRecord({ status: 'processing', progress: 37.5 }), ...extra } as unknown as Video);

  it('says a long video is encoded in segments at once, and says nothing of segments for a one-pass encode', () => {
    expect(shown({ segment_count: 4 })).toMatch(/^segments +4, encoded at once$/m);
    expect(shown({ segment_count: 1 })).not.toMatch(/segments/);
    expect(shown({ segment_count: 4 })).toMatch(/^status +processing \(37 %\)$/m);
  });
});
