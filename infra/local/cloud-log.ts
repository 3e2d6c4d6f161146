/**
 * Where the local cloud itself says what it does: one readable line per call, for the person running it.
 * Not the handlers' and the worker's structured JSON logger (functions/core): that one runs on AWS too.
 */
export type CloudLog = (line: string) => void;

/** Lines on stderr (stdout stays free for what a command prints on purpose), prefixed with the local time. */
export function createConsoleLog(write: (text: string) => void = (text) => process.stderr.write(text)): CloudLog {
  return (line) => write(`${timestamp(new Date())} ${line}\n`);
}

function timestamp(date: Date): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}
