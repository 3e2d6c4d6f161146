/**
 * A presigned URL is a credential for as long as it is valid: whoever reads it can fetch or overwrite the
 * object. Logs and messages keep a URL's scheme, host and path, never its query; the SigV4 parameters are
 * also caught where they appear without their URL (a query string, a presigned POST's form fields).
 */
const URL_QUERY = /(https?:\/\/[^\s'"?]+)\?[^\s'"]*/gi;
const SIGNING_PARAMETER = /\b(X-Amz-(?:Signature|Credential|Security-Token))(=|%3D)[^\s&'"]*/gi;
const SIGNING_FIELD = /^x-amz-(?:signature|credential|security-token)$/i;
/** A field holding a Step Functions task token: whoever reads one can report (or fail) the task. */
const TASK_TOKEN_FIELD = /^(?:task_?token|TASK_TOKEN)$/i;
/**
 * Task tokens are opaque base64 of several hundred characters starting `AQ`; one that shows up inside text
 * (an SDK error message, an environment list in a task's parameters) goes too.
 */
const TASK_TOKEN_TEXT = /\bAQ[A-Za-z0-9+/=_-]{200,}/g;

export const REDACTED = '<redacted>';

export function redactSignedUrls(text: string): string {
  return text
    .replace(URL_QUERY, '$1?<signature redacted>')
    .replace(SIGNING_PARAMETER, `$1$2${REDACTED}`)
    .replace(TASK_TOKEN_TEXT, REDACTED);
}

/**
 * A JSON.stringify replacer: every string anywhere in the value (messages, nested fields, error messages
 * and stacks) loses its signatures and task tokens, and fields named like a SigV4 parameter or a task
 * token lose their value.
 */
export function redactingReplacer(key: string, value: unknown): unknown {
  if ((SIGNING_FIELD.test(key) || TASK_TOKEN_FIELD.test(key)) && value !== undefined && value !== null) return REDACTED;
  return typeof value === 'string' ? redactSignedUrls(value) : value;
}
