import { Logger as PowertoolsLogger, LogLevelThreshold, type LogItem } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { isAppError } from './errors.ts';
import { redactingReplacer } from './redact.ts';

/**
 * Structured logs through Powertools Logger: one JSON object per line (`level`, `message`, `timestamp`,
 * `service`, the Lambda context and correlation id once a handler injects them, then the fields), which
 * CloudWatch Logs Insights queries field by field. Every line passes through `redactingReplacer`, so a
 * presigned URL logged anywhere (a message, a nested field, an error's message or stack) keeps no signature.
 *
 * In a terminal (stdout is a TTY, or LOG_FORMAT=text: the local cloud sets it for the worker, whose lines
 * it prints) a line reads `LEVEL message key=value …` instead. LOG_LEVEL=silent keeps tests quiet.
 */
export interface Logger {
  debug(message: string, ...fields: Record<string, unknown>[]): void;
  info(message: string, ...fields: Record<string, unknown>[]): void;
  warn(message: string, ...fields: Record<string, unknown>[]): void;
  error(message: string, ...fields: Record<string, unknown>[]): void;
}

type WriteLine = (line: string) => void;
type Format = 'json' | 'text';

/** A Powertools Logger that can print for a person and write somewhere else than stdout (tests). */
export class VidpLogger extends PowertoolsLogger {
  // Set after super(): lines the constructor itself logs (Powertools' own warnings) print as JSON.
  declare private output: { format: Format; writeLine: WriteLine | undefined } | undefined;

  constructor(bound: Record<string, unknown>, output: { format: Format; writeLine?: WriteLine }) {
    super({
      serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'vidp',
      logLevel: logLevelFromEnv(),
      persistentKeys: bound,
      jsonReplacerFn: redactingReplacer,
    });
    this.output = { format: output.format, writeLine: output.writeLine };
  }

  protected override printLog(logLevel: number, log: LogItem): void {
    const output = this.output;
    if (output === undefined || (output.format === 'json' && output.writeLine === undefined)) {
      super.printLog(logLevel, log);
      return;
    }
    log.prepareForPrint();
    const json = JSON.stringify(log.getAttributes(), this.getJsonReplacer());
    const line = output.format === 'text' ? formatText(JSON.parse(json) as Record<string, unknown>) : json;
    (output.writeLine ?? ((text: string) => process.stdout.write(`${text}\n`)))(line);
  }
}

/** LOG_LEVEL (or POWERTOOLS_LOG_LEVEL) in any case: debug, info, warn, error, silent. Default info. */
function logLevelFromEnv(): LogLevel {
  const configured = (process.env.POWERTOOLS_LOG_LEVEL || process.env.LOG_LEVEL || 'INFO').toUpperCase();
  return configured in LogLevelThreshold ? (configured as LogLevel) : 'INFO';
}

function formatFromEnv(): Format {
  const configured = process.env.LOG_FORMAT?.toLowerCase();
  if (configured === 'text' || configured === 'json') return configured;
  return process.stdout.isTTY ? 'text' : 'json';
}

/** Keys every line carries that a person reading a terminal does not need. */
const TEXT_OMITS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'sampling_rate',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'xray_trace_id',
]);

function formatText(attributes: Record<string, unknown>): string {
  const stacks: string[] = [];
  const fields = Object.entries(attributes)
    .filter(([key]) => !TEXT_OMITS.has(key))
    .map(([key, value]) => {
      if (isPrintedError(value)) {
        if (typeof value.stack === 'string') stacks.push(value.stack.split('\n').slice(1).join('\n'));
        return `${key}=${value.name}: ${value.message}`;
      }
      return `${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`;
    });
  const head = [String(attributes.level).padEnd(5), String(attributes.message), ...fields].join(' ');
  return [head, ...stacks].join('\n');
}

function isPrintedError(value: unknown): value is { name: string; message: string; stack?: unknown } {
  return typeof value === 'object' && value !== null && 'name' in value && 'message' in value && 'stack' in value;
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

/**
 * A logger whose lines all carry `bound` (a video id, say). The level and format are read from the
 * environment now; `writeLine` receives each line as JSON instead of stdout.
 */
export function createLogger(bound: Record<string, unknown> = {}, writeLine?: WriteLine): VidpLogger {
  return new VidpLogger(bound, writeLine === undefined ? { format: formatFromEnv() } : { format: 'json', writeLine });
}

/** The handlers' logger: API handlers inject the Lambda context and correlation id, pipeline tasks the ids. */
export const log: VidpLogger = createLogger();
