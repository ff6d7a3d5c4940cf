// A gRPC fault injector: an HTTP/2 proxy in front of a real Milvus server that forwards every
// call, except those its plan tells it to fail. It counts the calls of each method, so that a
// test can see how often a call was sent.
import { connect, constants as h2, createServer } from 'node:http2';

const GRPC_HEADERS = { [h2.HTTP2_HEADER_STATUS]: 200, 'content-type': 'application/grpc' };

/**
 * Starts the proxy. `plan(method, n)` is asked for the n-th call (from 0) of each gRPC method
 * (`Insert`, `Search`, ...) and returns one of:
 * - `undefined`: forward the call to `upstream`;
 * - `{ grpcStatus, message }`: answer with that gRPC status and no reply;
 * - `{ refuse: true }`: reset the stream with REFUSED_STREAM, before reading it;
 * - `{ reply: Buffer }`: answer with that protobuf message and grpc-status 0.
 * `port` picks the port (0: any free one).
 */
export async function faultProxy(upstream, plan = () => undefined, port = 0) {
  const counts = {};
  let session = null;
  const upstreamSession = () => {
    if (!session || session.closed || session.destroyed) {
      session = connect(`http://${upstream}`);
      session.on('error', () => {});
    }
    return session;
  };
  const server = createServer();
  const sessions = new Set();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const method = String(headers[h2.HTTP2_HEADER_PATH]).split('/').pop();
    const n = counts[method] ?? 0;
    counts[method] = n + 1;
    const action = plan(method, n);
    if (action?.refuse) {
      stream.close(h2.NGHTTP2_REFUSED_STREAM);
    } else if (action?.grpcStatus !== undefined) {
      stream.resume();
      stream.respond({ ...GRPC_HEADERS, 'grpc-status': String(action.grpcStatus), 'grpc-message': encodeURIComponent(action.message ?? 'injected') }, { endStream: true });
    } else if (action?.reply) {
      stream.resume();
      const frame = Buffer.alloc(5);
      frame.writeUInt32BE(action.reply.length, 1);
      stream.respond(GRPC_HEADERS, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.concat([frame, action.reply]));
    } else {
      forward(upstreamSession(), stream, headers);
    }
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${server.address().port}`,
    counts,
    // At once, open streams and all: a graceful close would wait for them and keep the
    // test process alive.
    close: () => {
      session?.destroy();
      sessions.forEach((s) => s.destroy());
      server.close();
    },
  };
}

/** Passes one call through to the upstream session: headers, body, reply and trailers. */
function forward(session, stream, headers) {
  const outgoing = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(':') || name === h2.HTTP2_HEADER_PATH || name === h2.HTTP2_HEADER_METHOD) outgoing[name] = value;
  }
  const up = session.request(outgoing, { waitForTrailers: true });
  up.on('error', () => stream.close(h2.NGHTTP2_INTERNAL_ERROR));
  stream.pipe(up);
  stream.on('end', () => up.on('wantTrailers', () => up.sendTrailers({})));
  let trailers = { 'grpc-status': '0' };
  up.on('trailers', (t) => {
    trailers = Object.fromEntries(Object.entries(t).filter(([k]) => !k.startsWith(':')));
  });
  up.on('response', (response) => {
    const head = Object.fromEntries(Object.entries(response).filter(([k]) => !k.startsWith(':')));
    stream.respond({ ...head, [h2.HTTP2_HEADER_STATUS]: response[h2.HTTP2_HEADER_STATUS] }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    up.pipe(stream);
  });
}

/** A protobuf varint. */
function varint(n) {
  const bytes = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

/** A length-delimited protobuf field. */
function bytesField(number, payload) {
  return Buffer.concat([varint((number << 3) | 2), varint(payload.length), payload]);
}

/** `common.Status { error_code, reason, code, retriable }` as protobuf bytes. */
export function statusMessage({ error_code = 0, reason = '', code = 0, retriable = false }) {
  return Buffer.concat([
    error_code ? Buffer.concat([varint(1 << 3), varint(error_code)]) : Buffer.alloc(0),
    reason ? bytesField(2, Buffer.from(reason)) : Buffer.alloc(0),
    code ? Buffer.concat([varint(3 << 3), varint(code)]) : Buffer.alloc(0),
    retriable ? Buffer.from([4 << 3, 1]) : Buffer.alloc(0),
  ]);
}

/** A reply whose field 1 is the status (`MutationResult`, `SearchResults`, `BoolResponse`, ...). */
export function replyWithStatus(status) {
  return bytesField(1, statusMessage(status));
}

/** What Milvus answers when a call exceeds its rate limit (`RateLimit`, code 8). */
export const RATE_LIMITED = { error_code: 49, reason: 'request is rejected by grpc RateLimiter middleware, please retry later', code: 8 };
