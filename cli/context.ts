import { createVidpClient, type VidpClient } from '../web/client/index.ts';
import { UsageError } from './errors.ts';

/** What every command gets: the client for the chosen API, where to print, and the run's abort signal. */
export const DEFAULT_API_URL = 'http://127.0.0.1:3000/api';

export interface GlobalOptions {
  api?: string;
  apiKey?: string;
}

export interface CommandContext {
  client: VidpClient;
  apiUrl: string;
  /** Results: one JSON document with --json, readable text otherwise. */
  out: (text: string) => void;
  err: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  /** Fires on Ctrl-C (SIGINT) or SIGTERM. */
  signal: AbortSignal;
}

export function createContext(options: GlobalOptions, io: { env: NodeJS.ProcessEnv; err: NodeJS.WriteStream; out: (text: string) => void; signal: AbortSignal }): CommandContext {
  const apiUrl = options.api ?? (io.env.VIDP_API_URL || DEFAULT_API_URL);
  let parsed: URL;
  try {
    parsed = new URL(apiUrl);
  } catch {
    throw new UsageError('bad_api_url', `--api must be a URL such as ${DEFAULT_API_URL}, got "${apiUrl}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError('bad_api_url', `--api must be an http(s) URL, got "${apiUrl}"`);
  const apiKey = options.apiKey ?? (io.env.VIDP_API_KEY || undefined);
  return {
    client: createVidpClient({ apiUrl, ...(apiKey === undefined ? {} : { apiKey }) }),
    apiUrl: apiUrl.replace(/\/+$/, ''),
    ...io,
  };
}

export function printJson(context: CommandContext, value: unknown): void {
  context.out(`${JSON.stringify(value, null, 2)}\n`);
}
