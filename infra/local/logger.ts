/** Where the local cloud writes what it does: one readable line per call. */
export type Logger = (line: string) => void;

/** Lines on stderr (stdout stays free for what a command prints on purpose), prefixed with the local time. */
export function createConsoleLogger(write: (text: string) => void = (text) => process.stderr.write(text)): Logger {
  return (line) => write(`${timestamp(new Date())} ${line}\n`);
}

function timestamp(date: Date): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}
