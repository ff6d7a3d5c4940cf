// The Milvus 2.3.5 servers with authentication (and TLS) that scripts/test.sh starts when it
// runs as root, and the credentials they were started with.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export { MilvusClient, milvus, uniqueName } from './servers.mjs';

/** `{ plain, tls, mtls }`, each `{ address, certs? }`; from scripts/test.sh. */
const SERVERS = JSON.parse(process.env.MILVUS_AUTH_SERVERS || '{}');

/** The root account every auth server starts with. */
export const ROOT = { username: 'root', password: 'Milvus' };

/**
 * The server of `kind` (`plain`, `tls` or `mtls`) and, when it is not running, the reason
 * to print as the skip message.
 */
export function authServer(kind) {
  const server = SERVERS[kind];
  if (server) return { server, skip: false };
  const why = process.env.MILVUS_AUTH_SKIP || 'no Milvus 2.3.5 with authentication: run the suite with scripts/test.sh as root';
  return { server: undefined, skip: why };
}

/** The PEM file `name` (ca.pem, client.pem, client.key, ...) of a TLS server. */
export function certPath(server, name) {
  return join(server.certs, name);
}

export function certFile(server, name) {
  return readFileSync(certPath(server, name));
}

/**
 * Calls `fn` until `accept(outcome)` holds, or `ms` pass; the outcome is what `fn` resolved
 * with, or the error it rejected with. Returns the last outcome.
 */
export async function eventually(fn, accept, ms = 40_000) {
  const start = Date.now();
  let last;
  for (;;) {
    last = await fn().catch((err) => err);
    if (accept(last)) return last;
    if (Date.now() - start > ms) return last;
    await sleep(250);
  }
}

/** Milliseconds `promise` takes to settle, and how it settled. */
export async function timed(promise) {
  const start = performance.now();
  try {
    const value = await promise;
    return { ms: performance.now() - start, value };
  } catch (error) {
    return { ms: performance.now() - start, error };
  }
}
