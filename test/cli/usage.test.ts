import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, runVidp } from '../support/run-vidp.ts';

/**
 * What `vidp` answers before it needs an API: help, usage errors (exit 2) and an API it cannot reach (exit 3).
 * Every run points at a closed port, so an answer that needed the API would show as exit 3 instead.
 */
// Named up front: the cases below are built when the file is collected.
const workDir = join(tmpdir(), `vidp-cli-usage-${randomUUID()}`);
const files = { video: join(workDir, 'talk.mp4'), subtitles: join(workDir, 'talk.srt'), text: join(workDir, 'notes.txt') };
let env: Record<string, string>;

beforeAll(async () => {
  await mkdir(workDir, { recursive: true });
  await Promise.all([
    writeFile(files.video, 'not really a video, but the CLI does not look inside'),
    writeFile(files.subtitles, '1\n00:00:00,000 --> 00:00:01,000\nHi\n'),
    writeFile(files.text, 'plain text'),
  ]);
  env = { VIDP_API_URL: `http://127.0.0.1:${await closedPort()}/api`, VIDP_CACHE_DIR: join(workDir, 'cache') };
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('help', () => {
  it('vidp --help lists every command and the exit codes on stdout, exit 0', async () => {
    const result = await runVidp(['--help'], env);
    expect(result.code).toBe(0);
    for (const command of ['upload', 'list', 'get', 'play', 'delete', 'retry']) expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(result.stdout).toContain('130 interrupted');
  });

  it('each command has its own help', async () => {
    const upload = await runVidp(['upload', '--help'], env);
    expect(upload.code).toBe(0);
    for (const option of ['--srt <file>', '--srt-url <url>', '--resolution <box>', '--crf <n>', '--preset <preset>', '--wait', '--json']) {
      expect(upload.stdout).toContain(option);
    }
    const list = await runVidp(['help', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('--source-video-id <id>');
  });

  it('vidp alone shows the help on stderr and exits 2', async () => {
    const result = await runVidp([], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: vidp');
    expect(result.stdout).toBe('');
  });
});

describe('usage errors end with exit 2 and say what was wrong', () => {
  it.each([
    ['an unknown command', ['uplod', files.video], /^error unknown_command: unknown command 'uplod'/m],
    ['an unknown option', ['upload', files.video, '--srt', files.subtitles, '--colour', 'red'], /^error unknown_option: unknown option '--colour'/m],
    ['a missing video file', ['upload', join(workDir, 'gone.mp4'), '--srt', files.subtitles], /^error file_not_found: Video file not found: .*gone\.mp4$/m],
    ['a missing subtitles file', ['upload', files.video, '--srt', join(workDir, 'gone.srt')], /^error file_not_found: Subtitles file not found/m],
    ['a directory as the video', ['upload', workDir, '--srt', files.subtitles], /^error not_a_file: /m],
    ['no subtitles at all', ['upload', files.video], /^error missing_subtitles: Give the subtitles: --srt FILE or --srt-url URL$/m],
    ['both kinds of subtitles', ['upload', files.video, '--srt', files.subtitles, '--srt-url', 'https://subs.example/1.srt'], /^error conflicting_option: /m],
    ['a CRF out of range', ['upload', files.video, '--srt', files.subtitles, '--crf', '5'], /^error invalid_argument: .*from 12 to 51/m],
    ['a resolution vidp has not', ['upload', files.video, '--srt', files.subtitles, '--resolution', '4k'], /^error invalid_argument: .*Allowed choices are 360p, 480p, 720p, 1080p/m],
    ['a subtitles URL that is not http(s)', ['upload', files.video, '--srt-url', 'ftp://subs/1.srt'], /^error invalid_argument: .*http\(s\) URL/m],
    ['a missing video id', ['get'], /^error missing_argument: missing required argument 'id'/m],
    ['a malformed API URL', ['list', '--status', 'saved', '--api', 'not a url'], /^error bad_api_url: /m],
    ['two list filters', ['list', '--status', 'saved', '--filename', 'a.mp4'], /^error conflicting_filters: /m],
  ])('%s', async (_case, args, message) => {
    const result = await runVidp(args, env);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
  });

  // A file type the API would refuse (415) is refused here first, as usage (2), not as a refusal (1): it is the
  // argument that is wrong, the answer is the same whether or not the API can be reached, and nothing is sent.
  it('an unsupported file type, named with the types vidp takes', async () => {
    const result = await runVidp(['upload', files.text, '--srt', files.subtitles], env);
    expect(result.stderr).toMatch(/^error unsupported_type: Unsupported video type: notes\.txt \(vidp takes \.mp4 \.mov \.mkv \.avi \.webm\)$/m);
    expect(result.code).toBe(2);
  });
});

describe('an API that cannot be reached', () => {
  it('ends with exit 3 and names the address, for a listing and for an upload', async () => {
    const list = await runVidp(['list', '--status', 'saved'], env);
    expect(list.code).toBe(3);
    expect(list.stderr).toMatch(/^error unreachable: Cannot reach http:\/\/127\.0\.0\.1:\d+\/api \(ECONNREFUSED\)/m);
    const upload = await runVidp(['upload', files.video, '--srt', files.subtitles, '--wait', '--json'], env);
    expect(upload.code).toBe(3);
    expect(upload.stdout).toBe('');
  });
});

describe('the API key', () => {
  // The local cloud asks for no key; API Gateway does when the stack is deployed with one. This stand-in answers
  // as API Gateway does: 403 {"message":"Forbidden"} without the right x-api-key.
  it('is sent as x-api-key from --api-key or VIDP_API_KEY, and API Gateway’s refusal is exit 1, forbidden', async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((request, response) => {
      const key = request.headers['x-api-key'];
      seen.push(typeof key === 'string' ? key : undefined);
      response.setHeader('content-type', 'application/json');
      if (key !== 'right-key') {
        response.statusCode = 403;
        response.end(JSON.stringify({ message: 'Forbidden' }));
        return;
      }
      response.end(JSON.stringify({ id: 'v1', filename: 'talk.mp4', status: 'awaiting_upload', target_resolution: '720p', crf: 23, preset: 'medium', subtitles: { source: 'upload', key: 'k' }, created_at: 'c', updated_at: 'u' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
    try {
      const withOption = await runVidp(['get', 'v1', '--api', apiUrl, '--api-key', 'right-key'], env);
      expect(withOption.code, withOption.stderr).toBe(0);
      expect(withOption.stdout).toMatch(/^status +awaiting_upload$/m);
      const fromEnv = await runVidp(['get', 'v1', '--api', apiUrl], { ...env, VIDP_API_KEY: 'wrong-key' });
      expect(fromEnv.code).toBe(1);
      expect(fromEnv.stderr).toMatch(/^error forbidden: Forbidden \(HTTP 403\)$/m);
      expect(seen).toEqual(['right-key', 'wrong-key']);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
