import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { log } from '../core/log.ts';

/**
 * A workflow task handler: the payload the ASL sends parsed with `schema`, and the video and execution it
 * works for (the ASL passes `$$.Execution.Id`) on every log line of the invocation, with the Lambda context.
 * Errors propagate: their name is what the state machine retries or catches.
 */
export function pipelineTask<Schema extends z.ZodType<{ videoId: string; executionId?: string | undefined }>, Result>(
  schema: Schema,
  run: (input: z.infer<Schema>) => Promise<Result>,
): (event: unknown, context?: Context) => Promise<Result> {
  return async (event, context) => {
    if (context !== undefined) log.addContext(context);
    try {
      const input = schema.parse(event);
      log.appendKeys({ videoId: input.videoId, ...(input.executionId === undefined ? {} : { executionId: input.executionId }) });
      return await run(input);
    } finally {
      log.resetKeys();
    }
  };
}
