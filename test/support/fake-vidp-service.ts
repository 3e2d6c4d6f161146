import type { Fetch } from '../../web/client/http.ts';

/**
 * An in-process stand-in for the vidp API and S3's part and form uploads, as a `fetch`: enough to unit-test
 * the upload client's logic (which parts it sends, how many at once, what it retries, what it reports).
 * The real thing is proven by the CLI tests against the local cloud.
 */
export interface FakePart {
  data: Uint8Array;
  etag: string;
}

export interface FakeVidpService {
  fetch: Fetch;
  videoId: string;
  partSize: number;
  partCount: number;
  /** What S3 holds, by part number. */
  parts: Map<number, FakePart>;
  /** Every request, as `METHOD path` (part PUTs as `PUT part N`). */
  requests: string[];
  /** The most part PUTs that were open at the same time. */
  maxConcurrentPuts(): number;
  completed: { part_number: number; etag: string }[] | undefined;
  /** Answers the next matching part PUTs with this status (an S3 XML error). */
  failPartPuts(times: number, status: number, code?: string, message?: string): void;
  /** Holds every part PUT until release() is called (to abort mid-flight). */
  holdPartPuts(): { release(): void; started: Promise<void> };
  postedForms: { url: string; fieldNames: string[]; fileSize: number; fileName: string | undefined }[];
  headersSeen: Headers[];
}

export function createFakeVidpService(options: { size: number; partSize: number; expiresInMs?: number }): FakeVidpService {
  const videoId = '00000000-0000-4000-8000-000000000001';
  const partCount = Math.ceil(options.size / options.partSize);
  const parts = new Map<number, FakePart>();
  const requests: string[] = [];
  const postedForms: FakeVidpService['postedForms'] = [];
  const headersSeen: Headers[] = [];
  let open = 0;
  let maxOpen = 0;
  let failures: { times: number; status: number; code: string; message: string } | undefined;
  let hold: { promise: Promise<void>; startedResolve: () => void } | undefined;
  const service: FakeVidpService = {
    videoId,
    partSize: options.partSize,
    partCount,
    parts,
    requests,
    postedForms,
    headersSeen,
    completed: undefined,
    maxConcurrentPuts: () => maxOpen,
    failPartPuts(times, status, code = status >= 500 ? 'InternalError' : 'AccessDenied', message = 'Injected') {
      failures = { times, status, code, message };
    },
    holdPartPuts() {
      let release!: () => void;
      let startedResolve!: () => void;
      const started = new Promise<void>((resolve) => (startedResolve = resolve));
      hold = { promise: new Promise<void>((resolve) => (release = resolve)), startedResolve };
      return { release, started };
    },
    fetch: async (input, init = {}) => {
      const url = new URL(String(input));
      const method = init.method ?? 'GET';
      headersSeen.push(new Headers(init.headers));
      const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
      if (url.host === 's3.fake' && method === 'PUT') {
        const partNumber = Number(url.searchParams.get('partNumber'));
        requests.push(`PUT part ${partNumber}`);
        if (Number(url.searchParams.get('expires')) < Date.now()) {
          return new Response('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>', { status: 403 });
        }
        open += 1;
        maxOpen = Math.max(maxOpen, open);
        try {
          if (hold !== undefined) {
            hold.startedResolve();
            await abortable(hold.promise, init.signal);
          }
          if (failures !== undefined && failures.times > 0) {
            failures.times -= 1;
            return new Response(`<Error><Code>${failures.code}</Code><Message>${failures.message}</Message></Error>`, { status: failures.status });
          }
          const data = new Uint8Array(await new Response(init.body as Blob).arrayBuffer());
          const etag = `"etag-${partNumber}-${data.byteLength}"`;
          parts.set(partNumber, { data, etag });
          return new Response(null, { status: 200, headers: { etag } });
        } finally {
          open -= 1;
        }
      }
      if (url.host === 's3.fake' && method === 'POST') {
        const form = init.body as FormData;
        const file = form.get('file') as File | null;
        postedForms.push({ url: String(input), fieldNames: [...form.keys()], fileSize: file?.size ?? 0, fileName: file?.name });
        return new Response(null, { status: 204 });
      }
      const path = url.pathname.replace(/^\/api/, '');
      requests.push(`${method} ${path}`);
      if (method === 'GET' && path === `/videos/${videoId}/upload`) {
        return json(200, {
          upload_id: 'upload-1',
          part_size: options.partSize,
          part_count: partCount,
          parts: [...parts].map(([part_number, part]) => ({ part_number, etag: part.etag, size: part.data.byteLength })),
        });
      }
      if (method === 'POST' && path === `/videos/${videoId}/upload/parts`) {
        const { part_numbers } = JSON.parse(String(init.body)) as { part_numbers: number[] };
        const expires = Date.now() + (options.expiresInMs ?? 60_000);
        return json(200, {
          parts: part_numbers.map((n) => ({ part_number: n, url: `http://s3.fake/bucket/key?partNumber=${n}&expires=${expires}` })),
          expires_at: new Date(expires).toISOString(),
        });
      }
      if (method === 'POST' && path === `/videos/${videoId}/upload/complete`) {
        service.completed = (JSON.parse(String(init.body)) as { parts: { part_number: number; etag: string }[] }).parts;
        return json(200, { id: videoId, status: 'processing' });
      }
      return json(404, { error: { code: 'not_found', message: `No route ${method} ${path}` }, request_id: 'req-404' });
    },
  };
  return service;
}

function abortable(promise: Promise<void>, signal: AbortSignal | null | undefined): Promise<void> {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new DOMException('This operation was aborted', 'AbortError'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject);
  });
}

/** Bytes 0, 1, 2, … 255, 0, 1, …: every part differs from its neighbours, so a misplaced slice shows. */
export function patternBytes(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) bytes[i] = (i * 7 + Math.floor(i / 251)) % 256;
  return bytes;
}
