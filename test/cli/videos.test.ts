import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSampleClip, writeSrt } from '../../infra/dev-kit/sample-media.ts';
import { startLocalCloud, type LocalCloud } from '../../infra/local/cloud.ts';
import { runVidp, VIDP_BIN, type VidpResult } from '../support/run-vidp.ts';

/**
 * The real `vidp` binary against a local cloud: a clip uploaded and followed to saved, what get, play, list,
 * delete and retry print, a job that fails, and an API that refuses. (The multipart upload interrupted with
 * Ctrl-C and resumed is in upload-resume.test.ts.)
 */
const MiB = 1024 * 1024;
const run = promisify(execFile);
let cloud: LocalCloud;
let workDir: string;
let env: Record<string, string>;
const files = { clip: '', subtitles: '', notVideo: '' };
const runTag = randomUUID().slice(0, 8);
let saved: VidpResult;
let savedRecord: { id: string; status: string; playback_url?: string; filename: string };

const api = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${cloud.apiUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, body: response.status === 204 ? undefined : ((await response.json()) as Record<string, unknown>) };
};

beforeAll(async () => {
  process.env.LOG_LEVEL = 'silent';
  cloud = await startLocalCloud({ port: 0, logger: () => {}, functionEnv: { MULTIPART_THRESHOLD_BYTES: String(4 * MiB) } });
  workDir = await mkdtemp(join(tmpdir(), 'vidp-cli-'));
  files.clip = join(workDir, `clip-${runTag}.mp4`);
  files.subtitles = join(workDir, 'clip.srt');
  files.notVideo = join(workDir, `notes-${runTag}.mp4`);
  await Promise.all([
    // One second at 192x108 and 10 fps: the whole pipeline runs, at the least CPU it can.
    makeSampleClip(files.clip, { seconds: 1, width: 192, height: 108, fps: 10 }),
    writeSrt(files.subtitles, [{ startSeconds: 0.1, endSeconds: 0.9, text: 'Olá' }]),
    writeFile(files.notVideo, 'This is a text file, not a video.\n'),
  ]);
  env = { VIDP_API_URL: cloud.apiUrl, VIDP_CACHE_DIR: join(workDir, 'cache'), VIDP_POLL_INTERVAL_MS: '200' };
  saved = await runVidp(['upload', files.clip, '--srt', files.subtitles, '--resolution', '360p', '--preset', 'ultrafast', '--wait', '--json'], env);
  savedRecord = JSON.parse(saved.stdout) as typeof savedRecord;
}, 120_000);

afterAll(async () => {
  await cloud?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('vidp upload --srt --wait --json', () => {
  it('ends with exit 0 and stdout is exactly one JSON document: the saved record, as the API has it', async () => {
    expect(saved.code, saved.stderr).toBe(0);
    expect(savedRecord).toMatchObject({ status: 'saved', filename: `clip-${runTag}.mp4`, target_resolution: '360p', preset: 'ultrafast' });
    expect(savedRecord.playback_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    const { body } = await api('GET', `/videos/${savedRecord.id}`);
    expect(body).toMatchObject({ id: savedRecord.id, status: 'saved', file_size: (savedRecord as { file_size?: number }).file_size });
  });

  it('writes plain progress lines on stderr when it is not a terminal: upload to 100 %, then each status', () => {
    const lines = saved.stderr.trimEnd().split('\n');
    expect(saved.stderr).not.toMatch(/\x1b|\r/);
    expect(lines[0]).toMatch(/^upload  0 %  0 B of \d+ KiB$/);
    expect(lines).toContainEqual(expect.stringMatching(/^upload  100 %  \d+ KiB of \d+ KiB/));
    const statuses = lines.filter((line) => line.startsWith('status  '));
    expect(statuses.at(-1)).toBe('status  saved');
    expect(statuses).toContain('status  processing');
    expect(lines.indexOf('status  processing')).toBeGreaterThan(lines.findIndex((line) => line.startsWith('upload  100 %')));
  });
});

describe('vidp get, play and list', () => {
  it('get prints the record as text, and as the API’s JSON with --json', async () => {
    const text = await runVidp(['get', savedRecord.id], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^id +${savedRecord.id}$`, 'm'));
    expect(text.stdout).toMatch(/^status +saved$/m);
    expect(text.stdout).toMatch(/^playback +http:\/\//m);
    const json = await runVidp(['get', savedRecord.id, '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: savedRecord.id, status: 'saved', filename: savedRecord.filename });
  });

  it('play prints a playback URL that serves the MP4, Range requests included', async () => {
    const result = await runVidp(['play', savedRecord.id], env);
    expect(result.code).toBe(0);
    const url = result.stdout.trim();
    const response = await fetch(url, { headers: { range: 'bytes=0-99' } });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-type')).toBe('video/mp4');
    expect((await response.arrayBuffer()).byteLength).toBe(100);
  });

  it('play --open hands the URL to the desktop’s opener (xdg-open, which honours $BROWSER)', async () => {
    const fifo = join(workDir, 'opened');
    await run('mkfifo', [fifo]);
    const browser = join(workDir, 'browser.sh');
    await writeFile(browser, `#!/bin/sh\nprintf '%s' "$1" > ${fifo}\n`, { mode: 0o755 });
    // Reading a FIFO waits for its writer: this resolves when the "browser" has been given the URL.
    const opened = readFile(fifo, 'utf8');
    const result = await runVidp(['play', savedRecord.id, '--open'], { ...env, BROWSER: browser });
    expect(result.code, result.stderr).toBe(0);
    expect(await opened).toBe(result.stdout.trim());
  });

  it('play of a video that is not saved is the API’s refusal: exit 1 with its code', async () => {
    const { body } = await api('POST', '/videos', { filename: 'later.mp4', content_type: 'video/mp4', size: 10, subtitles: { source: 'upload' } });
    const result = await runVidp(['play', (body!.video as { id: string }).id], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error not_ready: .*\(HTTP 409, request [\w-]+\)$/m);
  });

  it('list follows the API’s cursors up to --limit, newest first, and prints a table or one JSON array', async () => {
    const filename = `many-${runTag}.mp4`;
    for (let batch = 0; batch < 7; batch += 1) {
      await Promise.all(
        Array.from({ length: 15 }, () => api('POST', '/videos', { filename, content_type: 'video/mp4', size: 10, subtitles: { source: 'upload' } })),
      );
    }
    const json = await runVidp(['list', '--filename', filename, '--limit', '103', '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    const videos = JSON.parse(json.stdout) as { id: string; created_at: string; filename: string }[];
    // More than the API's largest page (100): only following next_cursor gets them all.
    expect(videos).toHaveLength(103);
    expect(new Set(videos.map((video) => video.id)).size).toBe(103);
    expect(videos.every((video) => video.filename === filename)).toBe(true);
    expect(videos.map((video) => video.created_at)).toEqual(videos.map((video) => video.created_at).sort().reverse());

    const table = await runVidp(['list', '--filename', filename, '--limit', '2'], env);
    const rows = table.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^ID +STATUS +CREATED +FILENAME$/);
    expect(rows.slice(1)).toEqual(videos.slice(0, 2).map((video) => expect.stringMatching(new RegExp(`^${video.id} +awaiting_upload +\\S+ +${filename}$`))));
  });

  it('list without a filter merges every status, newest first', async () => {
    const { body } = await api('POST', '/videos', { filename: 'newest.mp4', content_type: 'video/mp4', size: 10, subtitles: { source: 'upload' } });
    const result = await runVidp(['list', '--limit', '1000', '--json'], env);
    const videos = JSON.parse(result.stdout) as { id: string; status: string; created_at: string }[];
    const ids = videos.map((video) => video.id);
    expect(ids).toContain(savedRecord.id);
    expect(ids).toContain((body!.video as { id: string }).id);
    expect(videos.map((video) => video.created_at)).toEqual(videos.map((video) => video.created_at).sort().reverse());
  });
});

describe('a job that fails', () => {
  let failed: VidpResult;
  beforeAll(async () => {
    failed = await runVidp(['upload', files.notVideo, '--srt', files.subtitles, '--wait', '--json'], env);
  }, 60_000);

  it('ends with exit 1, the error code and message on stderr, and the failed record on stdout', () => {
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^error input_invalid: The uploaded file could not be read as a video/m);
    expect(JSON.parse(failed.stdout)).toMatchObject({ status: 'failed', error: { code: 'input_invalid' } });
  });

  it('retry --wait processes it again, shows each status and ends failed again with exit 1', async () => {
    const { id } = JSON.parse(failed.stdout) as { id: string };
    const result = await runVidp(['retry', id, '--wait'], env);
    expect(result.code).toBe(1);
    const statuses = result.stderr.split('\n').filter((line) => line.startsWith('status  '));
    expect(statuses.at(-1)).toMatch(/^status  failed  input_invalid: /);
    expect(result.stdout).toMatch(/^status +failed$/m);
    expect(result.stderr).toMatch(/^error input_invalid: /m);
  });
});

describe('refusals and deletion', () => {
  it('retry of a video that did not fail is refused by the API: exit 1 with the API’s code', async () => {
    const result = await runVidp(['retry', savedRecord.id], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error conflict: Only a failed video can be retried; this one is saved \(HTTP 409/m);
  });

  it('get of an id that is not one is refused: exit 1, validation_failed', async () => {
    const result = await runVidp(['get', 'not-an-id'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error validation_failed: /m);
  });

  it('delete removes the video: exit 0, then get answers not_found', async () => {
    const { body } = await api('POST', '/videos', { filename: 'gone.mp4', content_type: 'video/mp4', size: 10, subtitles: { source: 'upload' } });
    const id = (body!.video as { id: string }).id;
    const deleted = await runVidp(['delete', id], env);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe(`Deleted ${id}\n`);
    expect((await api('GET', `/videos/${id}`)).status).toBe(404);
    const after = await runVidp(['get', id], env);
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/^error not_found: /m);
  });
});

describe('on a terminal', () => {
  // `script` runs vidp on a pseudo-terminal, as a person's shell would.
  it('draws a live progress bar on stderr instead of lines', async () => {
    const command = [VIDP_BIN, 'upload', files.notVideo, '--srt', files.subtitles].join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, ...env, TERM: 'xterm' } });
    let screen = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (screen += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, screen).toBe(0);
    expect(screen).toMatch(/\x1b\[\?25l/); // the cursor hidden while the bar is drawn
    expect(screen).toMatch(/upload +\[█{30}\] 100% \d+ B of \d+ B/);
    expect(screen).not.toMatch(/^upload  \d+ %/m);
  });
});
