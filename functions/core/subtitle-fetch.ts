import { lookup as dnsLookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import {
  SubtitlesFetchFailedError,
  SubtitlesInvalidError,
  SubtitlesUnavailableError,
  SubtitlesUrlRefusedError,
} from './errors.ts';

/**
 * Fetches subtitles from a URL a client gave us, without letting that URL reach inside our network.
 *
 * - http(s) only, no credentials in the URL.
 * - Hosts in the allow-list (`host` or `host:port`) are trusted at private addresses too: the subtitle
 *   service usually lives inside the VPC. Link-local addresses (169.254.0.0/16, fe80::/10: where cloud
 *   metadata endpoints live) are refused even then.
 * - Any other host must resolve to public unicast addresses only — every address it resolves to.
 * - The addresses checked are the addresses connected to: the name is resolved once, checked, and the
 *   socket's lookup is pinned to that answer (no second DNS query a rebinding attacker could answer
 *   differently). IP literals are checked before any socket exists.
 * - Every redirect is a new URL and goes through the same checks.
 * - Connect and total timeouts, and a size cap on the body.
 *
 * Errors say what happened with the host name, never the URL: its query may carry a token.
 * 5xx, 408/429, timeouts and dropped connections are SubtitlesUnavailableError (the workflow retries it);
 * 4xx and unknown hosts are SubtitlesFetchFailedError, refused addresses SubtitlesUrlRefusedError (not retried).
 */

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Name → addresses. Injected in tests; in production the system resolver (what `getaddrinfo` answers). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
  }));

export interface SubtitleFetchOptions {
  /** `host` (any port) or `host:port` entries, lower case; IPv6 literals in brackets. */
  allowedHosts: readonly string[];
  maxBytes: number;
  connectTimeoutMs: number;
  /** The whole fetch, redirects included. */
  totalTimeoutMs: number;
  maxRedirects?: number;
  resolve?: Resolver;
}

export interface FetchedSubtitles {
  bytes: Uint8Array;
  contentType: string | undefined;
  /** Host of the URL that answered (after redirects). */
  host: string;
  redirects: number;
}

const DEFAULT_MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Client errors that say "try again later" rather than "this will never work". */
const TRANSIENT_CLIENT_STATUSES = new Set([408, 425, 429]);
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

export async function fetchSubtitles(url: string, options: SubtitleFetchOptions): Promise<FetchedSubtitles> {
  const resolve = options.resolve ?? systemResolver;
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const deadline = new AbortController();
  let current = parseSubtitleUrl(url);
  const timer = setTimeout(
    () =>
      deadline.abort(
        new SubtitlesUnavailableError(
          `The subtitle service at ${hostLabel(current)} did not deliver the subtitles within ${seconds(options.totalTimeoutMs)}`,
        ),
      ),
    options.totalTimeoutMs,
  );
  try {
    for (let redirects = 0; ; redirects += 1) {
      const addresses = await withDeadline(guardDestination(current, options.allowedHosts, resolve), deadline.signal);
      const response = await get(current, addresses, options, deadline.signal);
      if (REDIRECT_STATUSES.has(response.statusCode ?? 0) && response.headers.location) {
        response.resume();
        if (redirects >= maxRedirects) {
          throw new SubtitlesFetchFailedError(`The subtitle URL redirected more than ${maxRedirects} times`);
        }
        current = parseSubtitleUrl(new URL(response.headers.location, current).href, 'redirected to');
        continue;
      }
      const bytes = await readBody(response, current, options.maxBytes, deadline.signal);
      return { bytes, contentType: response.headers['content-type'], host: hostLabel(current), redirects };
    }
  } catch (error) {
    throw deadline.signal.aborted ? deadline.signal.reason : error;
  } finally {
    clearTimeout(timer);
  }
}

// ---- what may be fetched ------------------------------------------------------------------------------

function parseSubtitleUrl(value: string, how = 'is'): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SubtitlesUrlRefusedError(`The subtitle URL ${how} not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SubtitlesUrlRefusedError(`The subtitle URL ${how} a ${url.protocol.replace(':', '')} URL; only http and https are fetched`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new SubtitlesUrlRefusedError('The subtitle URL carries credentials; give a URL without user:password@');
  }
  return url;
}

/** `example.com:8443` as URL and allow-list entries name it; the port is the scheme's default when absent. */
function hostLabel(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

function bareHostname(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

export function isAllowedHost(url: URL, allowedHosts: readonly string[]): boolean {
  const host = url.hostname.toLowerCase();
  const withPort = hostLabel(url).toLowerCase();
  return allowedHosts.some((entry) => entry === host || entry === withPort);
}

export type AddressVerdict = { allowed: true } | { allowed: false; range: string };

/**
 * Public unicast only, after unwrapping IPv4 inside IPv6 (mapped ::ffff:a.b.c.d and NAT64 64:ff9b::/96,
 * which would otherwise smuggle 127.0.0.1 or 10.x past an IPv6-only check). A trusted host may also be
 * private, loopback or unique-local, but never link-local.
 */
export function judgeAddress(address: string, trusted: boolean): AddressVerdict {
  if (!ipaddr.isValid(address)) return { allowed: false, range: 'invalid' };
  let parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).range() === 'rfc6052') {
    parsed = ipaddr.fromByteArray((parsed as ipaddr.IPv6).toByteArray().slice(12));
  }
  const range = parsed.range();
  if (range === 'unicast') return { allowed: true };
  if (trusted && range !== 'linkLocal') return { allowed: true };
  return { allowed: false, range };
}

/** Resolves the URL's host and returns the addresses it may be fetched from, or throws why not. */
async function guardDestination(url: URL, allowedHosts: readonly string[], resolve: Resolver): Promise<ResolvedAddress[]> {
  const trusted = isAllowedHost(url, allowedHosts);
  const hostname = bareHostname(url);
  let addresses: ResolvedAddress[];
  if (ipaddr.isValid(hostname)) {
    addresses = [{ address: hostname, family: hostname.includes(':') ? 6 : 4 }];
  } else {
    try {
      addresses = await resolve(hostname);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAI_AGAIN') {
        throw new SubtitlesUnavailableError(`The subtitle host ${hostname} could not be resolved right now (DNS)`, { cause: error });
      }
      throw new SubtitlesFetchFailedError(`The subtitle host ${hostname} does not exist (DNS found no address)`, { cause: error });
    }
    if (addresses.length === 0) throw new SubtitlesFetchFailedError(`The subtitle host ${hostname} has no address`);
  }
  for (const { address } of addresses) {
    const verdict = judgeAddress(address, trusted);
    if (!verdict.allowed) {
      const at = address === hostname ? '' : ` (${hostname} resolves to ${address})`;
      throw new SubtitlesUrlRefusedError(
        `The subtitle URL points to a ${describeRange(verdict.range)} address${at}; only public addresses are fetched` +
          (trusted ? '' : ', or hosts an operator allowed in SUBTITLE_ALLOWED_HOSTS'),
      );
    }
  }
  return addresses;
}

function describeRange(range: string): string {
  const names: Record<string, string> = {
    linkLocal: 'link-local (cloud metadata)',
    loopback: 'loopback',
    private: 'private',
    uniqueLocal: 'unique-local (private IPv6)',
    unspecified: 'unspecified',
    carrierGradeNat: 'carrier-grade NAT',
  };
  return names[range] ?? `non-public (${range})`;
}

// ---- the request ---------------------------------------------------------------------------------------

/** A lookup that answers with the addresses already checked, honouring the family Node asks for. */
function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const family = typeof options === 'object' ? options.family : undefined;
    const wanted = family === 4 || family === 6 ? addresses.filter((entry) => entry.family === family) : [...addresses];
    if (wanted.length === 0) {
      callback(Object.assign(new Error('no checked address of the requested family'), { code: 'ENOTFOUND' }), '', 4);
      return;
    }
    if (typeof options === 'object' && options.all) {
      (callback as unknown as (error: null, addresses: ResolvedAddress[]) => void)(null, wanted);
      return;
    }
    callback(null, wanted[0]!.address, wanted[0]!.family);
  };
}

function get(url: URL, addresses: readonly ResolvedAddress[], options: SubtitleFetchOptions, signal: AbortSignal): Promise<IncomingMessage> {
  const host = hostLabel(url);
  return new Promise((resolvePromise, reject) => {
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method: 'GET',
      headers: { accept: 'application/x-subrip, text/vtt, text/plain;q=0.9, */*;q=0.5', 'user-agent': 'vidp-subtitles/1' },
      // A fresh socket per request: a pooled one may have been opened to another address.
      agent: false,
      lookup: pinnedLookup(addresses),
      signal,
    });
    request.once('socket', (socket) => {
      const connectTimer = setTimeout(() => {
        request.destroy(new SubtitlesUnavailableError(`The subtitle service at ${host} did not accept a connection within ${seconds(options.connectTimeoutMs)}`));
      }, options.connectTimeoutMs);
      socket.once('connect', () => clearTimeout(connectTimer));
      socket.once('close', () => clearTimeout(connectTimer));
    });
    request.once('response', (response) => {
      const status = response.statusCode ?? 0;
      if ((status >= 200 && status < 300) || (REDIRECT_STATUSES.has(status) && response.headers.location)) {
        resolvePromise(response);
        return;
      }
      response.resume();
      const reason = `The subtitle service at ${host} answered ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}`;
      reject(status >= 500 || TRANSIENT_CLIENT_STATUSES.has(status) ? new SubtitlesUnavailableError(reason) : new SubtitlesFetchFailedError(reason));
    });
    request.once('error', (error) => reject(toFetchError(error, host)));
    request.end();
  });
}

async function readBody(response: IncomingMessage, url: URL, maxBytes: number, signal: AbortSignal): Promise<Uint8Array> {
  const tooLarge = () => new SubtitlesInvalidError(`The subtitles at ${hostLabel(url)} are larger than ${maxBytes} bytes`);
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    response.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of response) {
      total += (chunk as Buffer).length;
      if (total > maxBytes) {
        response.destroy();
        throw tooLarge();
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw toFetchError(error, hostLabel(url));
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function toFetchError(error: unknown, host: string): Error {
  if (error instanceof SubtitlesUnavailableError || error instanceof SubtitlesFetchFailedError) return error;
  if (error instanceof SubtitlesInvalidError || error instanceof SubtitlesUrlRefusedError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (TRANSIENT_NETWORK_CODES.has(code) || (error as Error).message === 'socket hang up') {
    return new SubtitlesUnavailableError(`The subtitle service at ${host} could not be reached (${code || 'connection closed'})`, {
      cause: error,
    });
  }
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || code.startsWith('UNABLE_TO')) {
    return new SubtitlesFetchFailedError(`The subtitle service at ${host} has an invalid TLS certificate (${code})`, { cause: error });
  }
  if (code === 'ENOTFOUND') return new SubtitlesFetchFailedError(`The subtitle host ${host} has no address`, { cause: error });
  return new SubtitlesUnavailableError(`The subtitle service at ${host} failed (${code || (error as Error).name})`, { cause: error });
}

/** Rejects with the deadline's reason as soon as it passes, even while `promise` (a DNS query) is pending. */
function withDeadline<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolvePromise, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolvePromise(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
