import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { NODE_ESM_BUNDLE } from '../../shared/bundling.ts';
import { repoPath } from '../../shared/repository.ts';
import type { CloudLog } from '../cloud-log.ts';
import { HandlerUnavailableError, type Handler } from './handler.ts';

/** One local Lambda function: what it runs, with which environment (its own credentials among it). */
export interface LocalFunction {
  name: string;
  arn: string;
  /** functions/{group}/{name}.ts, from the repository root. */
  modulePath: string;
  environment: Readonly<Record<string, string>>;
}

export interface FunctionHost {
  /** The function's handler as a caller in this process sees it: each call is one invocation in its sandbox. */
  loadHandler(modulePath: string): Promise<Handler>;
  stop(): Promise<void>;
}

/**
 * Runs each Lambda function as Lambda does: bundled (with the options CDK bundles it with), in a sandbox of
 * its own — a worker thread with its own module instances, environment and credentials — started at the
 * first invocation (the cold start) and kept warm. Two functions never share a client, a config or a
 * variable, so each one's AWS calls carry its own role's credentials, and one function's environment
 * cannot leak into another's.
 */
export function createFunctionHost(options: {
  functionFor: (modulePath: string) => LocalFunction | undefined;
  logger: CloudLog;
  bundleDir?: string;
}): FunctionHost {
  const bundleDir = options.bundleDir ?? repoPath('.build', 'local-lambda', sourcesHash());
  const sandboxes = new Map<string, Promise<Sandbox>>();

  const sandboxOf = (fn: LocalFunction): Promise<Sandbox> => {
    let sandbox = sandboxes.get(fn.name);
    if (sandbox === undefined) {
      sandbox = bundleFunction(fn.modulePath, bundleDir).then((bundle) => startSandbox(fn, bundle, options.logger));
      // A sandbox that failed to start is not kept: the next call tries again (the file may have been fixed).
      sandbox.catch(() => sandboxes.delete(fn.name));
      sandboxes.set(fn.name, sandbox);
    }
    return sandbox;
  };

  return {
    async loadHandler(modulePath) {
      const fn = options.functionFor(modulePath);
      if (fn === undefined || !existsSync(repoPath(fn.modulePath))) throw new HandlerUnavailableError(`Cannot find module ${modulePath}`);
      const sandbox = await sandboxOf(fn);
      return (event, context) => sandbox.invoke(event, context as { awsRequestId?: string; getRemainingTimeInMillis?: () => number });
    },
    async stop() {
      const started = await Promise.allSettled([...sandboxes.values()]);
      sandboxes.clear();
      await Promise.all(started.map((result) => (result.status === 'fulfilled' ? result.value.terminate() : undefined)));
    },
  };
}

interface Sandbox {
  invoke(event: unknown, context: { awsRequestId?: string; getRemainingTimeInMillis?: () => number }): Promise<unknown>;
  terminate(): Promise<void>;
}

interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  details?: unknown;
  statusCode?: number;
}

type SandboxMessage =
  | { type: 'ready' }
  | { type: 'init-error'; error: SerializedError }
  | { type: 'result'; id: string; result: unknown }
  | { type: 'error'; id: string; error: SerializedError };

async function startSandbox(fn: LocalFunction, bundle: string, logger: CloudLog): Promise<Sandbox> {
  const worker = new Worker(new URL('./sandbox-runtime.mjs', import.meta.url), {
    env: { ...fn.environment },
    workerData: { bundle, functionName: fn.name, invokedFunctionArn: fn.arn },
  });
  const pending = new Map<string, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const failAll = (error: Error) => {
    for (const call of pending.values()) call.reject(error);
    pending.clear();
  };

  await new Promise<void>((resolve, reject) => {
    worker.once('message', (message: SandboxMessage) => {
      if (message.type === 'ready') resolve();
      else if (message.type === 'init-error') {
        void worker.terminate();
        reject(new HandlerUnavailableError(`${fn.modulePath} failed to load: ${message.error.message}`));
      }
    });
    worker.once('error', (error) => reject(new HandlerUnavailableError(`${fn.modulePath} failed to start: ${error.message}`)));
  });

  worker.on('message', (message: SandboxMessage) => {
    if (message.type !== 'result' && message.type !== 'error') return;
    const call = pending.get(message.id);
    pending.delete(message.id);
    if (message.type === 'result') call?.resolve(message.result);
    else call?.reject(deserialize(message.error));
  });
  worker.on('error', (error) => {
    logger(`[lambda] ${fn.name} crashed: ${error.message}`);
    failAll(Object.assign(new Error(error.message), { name: 'Runtime.ExitError' }));
  });
  worker.on('exit', () => failAll(Object.assign(new Error(`${fn.name} exited`), { name: 'Runtime.ExitError' })));
  // The sandbox's own work (timers, sockets) never keeps the local cloud's process alive.
  worker.unref();

  return {
    invoke(event, context) {
      const id = randomUUID();
      const deadline = Date.now() + (context.getRemainingTimeInMillis?.() ?? 60_000);
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, event: JSON.parse(JSON.stringify(event ?? null)), context: { requestId: context.awsRequestId ?? id, deadline } });
      });
    },
    async terminate() {
      await worker.terminate();
    },
  };
}

function deserialize(serialized: SerializedError): Error {
  const error = new Error(serialized.message);
  error.name = serialized.name;
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  for (const key of ['code', 'details', 'statusCode'] as const) {
    if (serialized[key] !== undefined) Object.assign(error, { [key]: serialized[key] });
  }
  return error;
}

/** The bundle CDK would deploy for this handler (same entry, same esbuild options), built once per sources. */
async function bundleFunction(modulePath: string, bundleDir: string): Promise<string> {
  const outfile = join(bundleDir, `${modulePath.replace(/[\\/]/g, '__').replace(/\.ts$/, '')}.mjs`);
  if (existsSync(outfile)) return outfile;
  const result = await build({
    entryPoints: [repoPath(modulePath)],
    bundle: true,
    write: false,
    platform: NODE_ESM_BUNDLE.platform,
    format: NODE_ESM_BUNDLE.format,
    target: 'node20',
    banner: { js: NODE_ESM_BUNDLE.banner },
    keepNames: NODE_ESM_BUNDLE.keepNames,
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  await mkdir(bundleDir, { recursive: true });
  // Written beside and renamed into place: a test file starting another local cloud at the same time
  // reads the whole bundle or none.
  const partial = `${outfile}.${process.pid}.${randomUUID()}.partial`;
  await writeFile(partial, result.outputFiles[0]!.contents);
  await rename(partial, outfile);
  return outfile;
}

/** What the bundles are made of: the functions' sources and the locked dependency versions. */
function sourcesHash(): string {
  const hash = createHash('sha256');
  const root = repoPath();
  const visit = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile() && entry.name.endsWith('.ts')) hash.update(relative(root, path)).update(readFileSync(path));
    }
  };
  visit(repoPath('functions'));
  visit(repoPath('infra', 'shared'));
  hash.update(String(statSync(repoPath('package-lock.json')).size)).update(readFileSync(repoPath('package-lock.json')));
  return hash.digest('hex').slice(0, 16);
}
