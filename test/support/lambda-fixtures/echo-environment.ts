import { SubtitlesNotReadyError } from '../../../functions/core/errors.ts';

/** A handler for the function host's tests: its configuration is read at cold start, as vidp's are. */
const greeting = process.env.GREETING ?? 'unset';
let invocations = 0;

export async function handler(event: { fail?: boolean }, context: { functionName: string; getRemainingTimeInMillis(): number }) {
  invocations += 1;
  if (event.fail) throw new SubtitlesNotReadyError('The subtitles have not arrived yet');
  return { greeting, invocations, functionName: context.functionName, remainingMs: context.getRemainingTimeInMillis() };
}
