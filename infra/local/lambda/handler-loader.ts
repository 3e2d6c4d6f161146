import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { repoPath } from '../../shared/repository.ts';

export type Handler = (event: unknown, context: unknown) => unknown;

/** A handler module that cannot be loaded: missing, failing at init (a config error), or without `handler`. */
export class HandlerUnavailableError extends Error {
  override readonly name = 'Runtime.ImportModuleError';
}

/**
 * Loads `handler` from a module of the repository on first use, the way Lambda loads a function at cold start:
 * after the environment is set (handlers parse their config at module load), and only when it is called, so
 * a handler another engineer has not written yet fails its own requests instead of the whole local cloud.
 * A failed load is not remembered: the next call tries again (the file may have been fixed meanwhile).
 */
export function createHandlerLoader() {
  const loaded = new Map<string, Handler>();
  return async function loadHandler(relativePath: string): Promise<Handler> {
    const cached = loaded.get(relativePath);
    if (cached !== undefined) return cached;
    const absolutePath = repoPath(relativePath);
    if (!existsSync(absolutePath)) throw new HandlerUnavailableError(`Cannot find module ${relativePath}`);
    let module: { handler?: unknown };
    try {
      module = (await import(pathToFileURL(absolutePath).href)) as { handler?: unknown };
    } catch (error) {
      throw new HandlerUnavailableError(`${relativePath} failed to load: ${(error as Error).message ?? String(error)}`);
    }
    if (typeof module.handler !== 'function') throw new HandlerUnavailableError(`${relativePath} does not export a handler function`);
    loaded.set(relativePath, module.handler as Handler);
    return module.handler as Handler;
  };
}
