import { VidpAbortedError, VidpApiError, VidpStorageError, VidpUnreachableError } from '../client/index.ts';

/**
 * What the page says about a failure: the API's own message (never a raw body: web/client parses it), or a
 * sentence for the failures that are not answers.
 */
export function errorMessage(error: unknown): string {
  if (error instanceof VidpApiError) return error.message;
  if (error instanceof VidpStorageError) return `The storage refused the upload: ${error.message}`;
  if (error instanceof VidpUnreachableError) return `${error.message}. Check your connection and try again.`;
  if (error instanceof VidpAbortedError) return 'Stopped.';
  return error instanceof Error ? error.message : String(error);
}
