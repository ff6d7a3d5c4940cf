import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer as createHttp2Server, constants as h2 } from 'node:http2';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { MilvusClient, closedPort, clientFor, eachServer, lacks, milvus } from './helpers/servers.mjs';

describe('constructing a client', () => {
  it('throws synchronously with a clear message when the address is missing', () => {
    assert.throws(() => new MilvusClient({}), (err) => {
      assert.ok(err instanceof Error);
      assert.equal(err.code, 'INVALID_ARGUMENT');
      assert.match(err.message, /address/);
      return true;
    });
    assert.throws(() => new MilvusClient(''), /address/);
  });

  it('rejects an address with a non-numeric port', () => {
    assert.throws(() => new MilvusClient({ address: 'localhost:abc' }), /port/);
  });

  it('accepts the legacy positional form', async () => {
    const client = new MilvusClient('127.0.0.1:1', false, 'user', 'pass');
    await client.closeConnection();
  });

  it('exports the official SDK enums with the same values', () => {
    assert.equal(milvus.DataType.Int64, 5);
    assert.equal(milvus.DataType.FloatVector, 101);
    assert.equal(milvus.DataType.JSON, 23);
    assert.equal(milvus.MetricType.COSINE, 'COSINE');
    assert.equal(milvus.IndexType.AUTOINDEX, 'AUTOINDEX');
    assert.equal(milvus.ConsistencyLevelEnum.Bounded, 2);
    assert.equal(milvus.ErrorCode.SUCCESS, 'Success');
    assert.equal(milvus.LoadState.LoadStateLoaded, 'LoadStateLoaded');
  });

  it('never shows the token or password in inspect, JSON or errors', async () => {
    const secret = 'tok-very-secret-123';
    const client = new MilvusClient({ address: `127.0.0.1:${await closedPort()}`, token: secret, timeout: 2000 });
    const other = new MilvusClient({ address: `127.0.0.1:${await closedPort()}`, username: 'u', password: secret });
    const seen = [inspect(client, { showHidden: true, depth: 5 }), JSON.stringify(client), inspect(other)];
    const err = await client.getVersion().catch((e) => e);
    seen.push(err.message, err.stack, inspect(err));
    const encoded = Buffer.from(secret).toString('base64');
    for (const text of seen) {
      assert.ok(!text.includes(secret) && !text.includes(encoded), `secret leaked into: ${text}`);
    }
  });
});

/** An HTTP/2 server that records each gRPC call's headers and answers UNIMPLEMENTED. */
async function recordingServer() {
  const calls = [];
  const server = createHttp2Server();
  server.on('stream', (stream, headers) => {
    calls.push(headers);
    stream.respond({ [h2.HTTP2_HEADER_STATUS]: 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '12', 'grpc-message': 'recorded' }));
    stream.end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { calls, address: `127.0.0.1:${server.address().port}`, close: () => server.close() };
}

describe('request metadata', () => {
  it('sends the token as base64 authorization and the database as dbname on every call', async () => {
    const server = await recordingServer();
    try {
      const client = new MilvusClient({ address: server.address, token: 'user:secret', database: 'books' });
      await client.hasCollection({ collection_name: 'x' }).catch(() => {});
      await client.showCollections().catch(() => {});
      const calls = server.calls.filter((h) => !h[':path'].endsWith('/Connect'));
      assert.equal(calls.length, 2);
      for (const headers of calls) {
        assert.equal(headers.authorization, Buffer.from('user:secret').toString('base64'));
        assert.equal(headers.dbname, 'books');
        assert.match(headers['grpc-timeout'], /^\d+[mu]$/);
      }
      assert.deepEqual(calls.map((h) => h[':path']), [
        '/milvus.proto.milvus.MilvusService/DescribeCollection',
        '/milvus.proto.milvus.MilvusService/ShowCollections',
      ]);
      await client.closeConnection();
    } finally {
      server.close();
    }
  });

  it('sends username and password as base64 user:password', async () => {
    const server = await recordingServer();
    try {
      const client = new MilvusClient(server.address, false, 'root', 'Milvus');
      await client.hasCollection({ collection_name: 'x' }).catch(() => {});
      const call = server.calls.find((h) => h[':path'].endsWith('/DescribeCollection'));
      assert.equal(call.authorization, Buffer.from('root:Milvus').toString('base64'));
      await client.closeConnection();
    } finally {
      server.close();
    }
  });

  it('tolerates a server without Connect in connectPromise', async () => {
    const server = await recordingServer();
    try {
      const client = new MilvusClient({ address: server.address });
      const info = await client.connectPromise;
      assert.equal(info.connect_status, milvus.CONNECT_STATUS.CONNECTED);
      await client.closeConnection();
    } finally {
      server.close();
    }
  });
});

describe('transport failures', () => {
  it('rejects with UNAVAILABLE within the deadline when nothing listens', async () => {
    const client = new MilvusClient({ address: `127.0.0.1:${await closedPort()}`, timeout: 3000 });
    const started = Date.now();
    const err = await client.hasCollection({ collection_name: 'x' }).catch((e) => e);
    assert.ok(err instanceof Error);
    assert.equal(err.code, 'UNAVAILABLE');
    assert.match(err.message, /refused|connect/i);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  });

  it('rejects connectPromise with UNAVAILABLE when nothing listens', async () => {
    const client = new MilvusClient({ address: `127.0.0.1:${await closedPort()}`, timeout: 2000 });
    await assert.rejects(client.connectPromise, (err) => err instanceof Error && err.code === 'UNAVAILABLE');
  });

  it('does not crash the process when a failed connect is never awaited', async () => {
    const port = await closedPort();
    const script = `
      const { MilvusClient } = require(${JSON.stringify(new URL('../index.js', import.meta.url).pathname)});
      new MilvusClient({ address: '127.0.0.1:${port}', timeout: 500 });
      const c = new MilvusClient({ address: '127.0.0.1:${port}', timeout: 500 });
      void c.connectPromise.catch(() => {});
      // Reads nobody awaits: a bare property read, and inspect() calling every getter.
      void c.connectPromise;
      require('node:util').inspect(c, { getters: true });
      setTimeout(() => console.log('alive'), 1500);
    `;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /alive/);
  });

  it('rejects with DEADLINE_EXCEEDED when the server accepts but never answers', async () => {
    const sockets = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const client = new MilvusClient({ address: `127.0.0.1:${silent.address().port}` });
      const started = Date.now();
      const err = await client.hasCollection({ collection_name: 'x', timeout: 400 }).catch((e) => e);
      assert.equal(err.code, 'DEADLINE_EXCEEDED');
      assert.ok(Date.now() - started < 3000);
      await client.closeConnection();
    } finally {
      sockets.forEach((socket) => socket.destroy());
      silent.close();
    }
  });

  it('reports bad arguments as rejected promises, never synchronous throws', async () => {
    const client = new MilvusClient({ address: '127.0.0.1:1' });
    for (const call of [
      () => client.search(42),
      () => client.insert(),
      () => client.createCollection('nope'),
      () => client.query({ collection_name: 7 }),
      () => client.loadCollection(null),
    ]) {
      let promise;
      assert.doesNotThrow(() => { promise = call(); });
      const err = await promise.catch((e) => e);
      assert.ok(err instanceof Error, String(err));
      assert.equal(err.code, 'INVALID_ARGUMENT');
    }
  });

  it('rejects calls made after closeConnection', async () => {
    const client = new MilvusClient({ address: '127.0.0.1:1' });
    assert.equal(await client.closeConnection(), milvus.CONNECT_STATUS.SHUTDOWN);
    await assert.rejects(client.hasCollection({ collection_name: 'x' }), { code: 'CANCELLED' });
  });
});

eachServer('connecting to a real server', (server) => {
  let client;
  before(() => { client = clientFor(server); });
  after(() => client.closeConnection());

  it('resolves connectPromise', async () => {
    const info = await client.connectPromise;
    assert.equal(info.connect_status, milvus.CONNECT_STATUS.CONNECTED);
  });

  it('accepts http:// addresses', async () => {
    const other = new MilvusClient({ address: `http://${server.address}` });
    const res = await other.hasCollection({ collection_name: 'missing_collection' });
    assert.equal(res.value, false);
    await other.closeConnection();
  });

  it('reports the server version', { skip: lacks(server, 'getVersion') }, async () => {
    const res = await client.getVersion();
    assert.equal(res.status.error_code, 'Success');
    assert.match(res.version, /\d+\.\d+/);
  });

  it('reports health', { skip: lacks(server, 'checkHealth') }, async () => {
    const res = await client.checkHealth();
    assert.equal(res.isHealthy, true);
    assert.deepEqual(res.reasons, []);
  });

  it('names the missing RPC when the server lacks it', { skip: !lacks(server, 'getVersion') && 'this server implements GetVersion' }, async () => {
    await assert.rejects(client.getVersion(), (err) => err.code === 'UNIMPLEMENTED' && /GetVersion/.test(err.message));
  });
});
