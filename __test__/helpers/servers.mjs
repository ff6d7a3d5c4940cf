// The Milvus servers that scripts/test.sh started, and what each of them lacks.
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { describe } from 'node:test';

const require = createRequire(import.meta.url);
export const milvus = require('../../index.js');
export const { MilvusClient } = milvus;

/** `[{ name, address }]` from scripts/test.sh; empty when the suite runs without servers. */
export const SERVERS = JSON.parse(process.env.MILVUS_TEST_SERVERS || '[]');

// What each server does not implement (see the feature table in scripts/README.md).
const MISSING = {
  lite25: {
    getVersion: 'milvus-lite 2.5.1 does not implement GetVersion',
    checkHealth: 'milvus-lite 2.5.1 does not implement CheckHealth',
    rename: 'milvus-lite 2.5.1 does not implement RenameCollection',
    loadSemantics: 'milvus-lite 2.5.1 has no load semantics (released collections still answer)',
    nullable: 'milvus-lite 2.5.1 has no nullable fields or default values',
    partitionKey: 'milvus-lite 2.5.1 returns no rows from collections with a partition key',
  },
  lite3: {
    indexName: 'milvus-lite 3.2.2 names every index after its field',
    jsonScalars: 'milvus-lite 3.2.2 stores only JSON objects and arrays in JSON fields',
    binaryVector: 'milvus-lite 3.2.2 has no binary vectors',
    halfVectors: 'milvus-lite 3.2.2 has no float16 or bfloat16 vectors',
  },
};

/** The reason `server` cannot run a test needing `feature`, or false when it can. */
export function lacks(server, feature) {
  return MISSING[server.name]?.[feature] ?? false;
}

/** Declares `body(server)` once per running server, as a `describe` named after it. */
export function eachServer(title, body) {
  if (SERVERS.length === 0) {
    describe(title, { skip: 'no Milvus server: run the suite with scripts/test.sh' }, () => {});
    return;
  }
  for (const server of SERVERS) {
    describe(`${title} [${server.name}]`, () => body(server));
  }
}

let counter = 0;
/** A collection name no other test uses. */
export function uniqueName(prefix = 'c') {
  counter += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}`;
}

/** A client for `server`; callers close it in `after`. */
export function clientFor(server, options = {}) {
  return new MilvusClient({ address: server.address, ...options });
}

/** A unit vector of `dim` values with a 1 at `hot`. */
export function oneHot(dim, hot) {
  return Array.from({ length: dim }, (_, i) => (i === hot ? 1 : 0));
}

/** A port nothing listens on: bound, then released. */
export async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}
