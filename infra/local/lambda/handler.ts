/** A Lambda handler as its callers in the local cloud (the gateway, the Lambda task, the scheduler) call it. */
export type Handler = (event: unknown, context: unknown) => unknown;

/** A handler that cannot be loaded: missing, failing at init (a config error), or without `handler`. */
export class HandlerUnavailableError extends Error {
  override readonly name = 'Runtime.ImportModuleError';
}
