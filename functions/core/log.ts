import { isAppError } from './errors.ts';

/**
 * Structured logs: one JSON object per line on stdout, which CloudWatch Logs Insights queries field by
 * field and the local cloud prints as is. A logger carries fields bound to it (a video id, say) into every
 * line. LOG_LEVEL=silent keeps tests quiet.
 */
type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

function threshold(): number {
  const configured = (process.env.LOG_LEVEL ?? 'info').toLowerCase() as Level | 'silent';
  return ORDER[configured] ?? ORDER.info;
}

/** Errors become plain objects (JSON.stringify would print `{}`), with our code and their causes. */
export function describeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const cause: unknown = error.cause;
  return {
    name: error.name,
    message: error.message,
    ...(isAppError(error) ? { code: error.code } : {}),
    stack: error.stack,
    ...(cause === undefined ? {} : { cause: describeError(cause) }),
  };
}

export function createLogger(
  bound: Record<string, unknown> = {},
  writeLine: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  const at = (level: Level) => (message: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[level] < threshold()) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level, msg: message, ...bound };
    for (const [key, value] of Object.entries(fields)) entry[key] = describeError(value);
    writeLine(JSON.stringify(entry));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const log: Logger = createLogger();
