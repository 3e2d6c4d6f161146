/**
 * Runs ffmpeg and ffprobe (never through a shell) and watches them: a run that takes too long, or goes
 * silent, is killed; a run that cannot start is an operator's problem; an aborted run settles only once
 * the process is gone, so the work dir is never removed under a process still writing to it.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { WorkerMisconfiguredError } from '../../../functions/core/errors.ts';
import { redactSignedUrls } from './media-storage.ts';

/** Enough of stderr to see why a run failed; ffmpeg prints the reason last. */
const STDERR_LINES_KEPT = 30;

export interface SupervisionOptions {
  /** What the process is, for the error when it cannot be started ("ffmpeg"). */
  name: string;
  /** Aborting it stops the process; `exited` then rejects with the signal's reason. */
  signal: AbortSignal;
  /** Each line the process prints on stdout. */
  onStdoutLine?: (line: string) => void;
  /** Each line on stderr, unredacted (the tail kept in ProcessExit is redacted). */
  onStderrLine?: (line: string) => void;
  /** Killed once it has run this long. */
  timeoutMs?: number;
  /** Killed once stdout has been silent this long: a hung process may still hold its pipes open. */
  silenceTimeoutMs?: number;
}

export interface ProcessExit {
  code: number | null;
  killedBy: NodeJS.Signals | null;
  /** Killed by us for running past `timeoutMs` or staying silent past `silenceTimeoutMs`. */
  timedOut: boolean;
  /**
   * Its last lines on stderr. Signed URLs are redacted: a process echoes its arguments, and the source's
   * presigned URL is a credential.
   */
  stderrTail: string[];
}

export interface SupervisedProcess {
  /** Settles on 'close' only, which follows 'error' too (failed spawn, abort). */
  exited: Promise<ProcessExit>;
  /** Stops the process at once; `exited` still settles when it is gone. */
  kill(): void;
}

export function superviseProcess(command: string, args: string[], options: SupervisionOptions): SupervisedProcess {
  const { signal } = options;
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
  const kill = () => void child.kill('SIGKILL');

  let lastStdoutAt = performance.now();
  createInterface({ input: child.stdout }).on('line', (line) => {
    lastStdoutAt = performance.now();
    options.onStdoutLine?.(line);
  });
  const stderrTail: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderrTail.push(redactSignedUrls(line));
    if (stderrTail.length > STDERR_LINES_KEPT) stderrTail.shift();
    options.onStderrLine?.(line);
  });

  let timedOut = false;
  const timeOut = () => {
    timedOut = true;
    kill();
  };
  const { timeoutMs, silenceTimeoutMs } = options;
  const deadline = timeoutMs === undefined ? undefined : setTimeout(timeOut, timeoutMs);
  const silenceWatch =
    silenceTimeoutMs === undefined
      ? undefined
      : setInterval(() => {
          if (performance.now() - lastStdoutAt >= silenceTimeoutMs) timeOut();
        }, Math.min(1000, silenceTimeoutMs / 4));

  let startError: unknown;
  child.once('error', (error) => {
    startError = error;
  });
  const exited = new Promise<ProcessExit>((resolveExit, rejectExit) => {
    child.once('close', (code, killedBy) => {
      clearTimeout(deadline);
      clearInterval(silenceWatch);
      if (signal.aborted) rejectExit(signal.reason);
      else if (startError === undefined) resolveExit({ code, killedBy, timedOut, stderrTail });
      else if (isSpawnFailure(startError)) {
        rejectExit(new WorkerMisconfiguredError(`${options.name} could not be started (${command})`, { cause: startError }));
      } else rejectExit(startError);
    });
  });
  return { exited, kill };
}

function isSpawnFailure(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'EACCES';
}
