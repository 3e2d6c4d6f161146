import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../../infra/shared/repository.ts';

/**
 * The real `vidp` binary as a user runs it: the file package.json's `bin` names, executed through its
 * shebang as a child process with pipes (so stderr is not a terminal), never imported.
 */
const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
export const VIDP_BIN = join(REPO_ROOT, packageJson.bin.vidp!);

export interface VidpResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningVidp {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the first stderr line matching, as soon as it is written. */
  stderrLine(pattern: RegExp): Promise<string>;
  done: Promise<VidpResult>;
}

export function startVidp(args: readonly string[], env: Record<string, string>): RunningVidp {
  // Run from elsewhere than the repository: the bin must not depend on the working directory.
  const child = spawn(VIDP_BIN, args, { cwd: tmpdir(), env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderr += `${line}\n`;
    for (const waiter of waiters.filter((candidate) => candidate.pattern.test(line))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  });
  const done = new Promise<VidpResult>((resolve, reject) => {
    child.on('error', reject);
    // 'close' waits for the pipes to drain: stdout and stderr are whole.
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    done,
    stderrLine: (pattern) =>
      new Promise<string>((resolve, reject) => {
        waiters.push({ pattern, resolve });
        done.then(() => reject(new Error(`vidp ended without a stderr line matching ${pattern}; stderr:\n${stderr}`)), reject);
      }),
  };
}

export function runVidp(args: readonly string[], env: Record<string, string> = {}): Promise<VidpResult> {
  return startVidp(args, env).done;
}

/** A port nothing listens on: bound once to get it from the OS, then closed. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
