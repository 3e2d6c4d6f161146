import type { PartTransport } from '../web/client/index.ts';

/**
 * Parts sent as a counted stream, so the bar moves within a part (16 MiB or more: a minute on a slow link)
 * and not only when S3 confirms one. Node's fetch sends a stream body with the Content-Length given, which
 * S3 requires; a browser cannot (it streams request bodies only over HTTP/2, never with a length), so this
 * is the CLI's and the page uses XMLHttpRequest's upload events instead.
 */
const PIECE_BYTES = 256 * 1024;

export const streamingPartTransport: PartTransport = (url, body, { signal, onSent }) => {
  const reader = body.stream().getReader();
  let pending = new Uint8Array(0);
  let sent = 0;
  const counted = new ReadableStream<Uint8Array>(
    {
      // Pulled only as the request is written (no queue ahead of it): `sent` follows the socket, not the disk.
      async pull(controller) {
        if (pending.byteLength === 0) {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            return;
          }
          pending = value;
        }
        const piece = pending.subarray(0, PIECE_BYTES);
        pending = pending.subarray(piece.byteLength);
        controller.enqueue(piece);
        sent += piece.byteLength;
        onSent(sent);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
  return fetch(url, {
    method: 'PUT',
    body: counted,
    duplex: 'half',
    headers: { 'content-length': String(body.size) },
    ...(signal === undefined ? {} : { signal }),
  });
};
