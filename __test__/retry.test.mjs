// The retry policy, against real servers behind a proxy that injects faults (helpers/faults.mjs).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, it } from 'node:test';
import { RATE_LIMITED, faultProxy, replyWithStatus } from './helpers/faults.mjs';
import { MilvusClient, closedPort, clientFor, eachServer, milvus, oneHot, uniqueName } from './helpers/servers.mjs';

const { DataType } = milvus;
const DIM = 4;
const UNAVAILABLE = 14;

eachServer('retrying failed calls', (server) => {
  let direct;
  const name = uniqueName('retry');
  const proxies = [];
  const clients = [];
  /** A proxy with `plan` in front of the server, and a client of it. */
  async function through(plan, options = {}) {
    const proxy = await faultProxy(server.address, plan);
    proxies.push(proxy);
    const client = new MilvusClient({ address: proxy.address, retryDelay: 5, ...options });
    clients.push(client);
    return { proxy, client };
  }
  const count = async () => {
    const res = await direct.count({ collection_name: name });
    return Number(res.data);
  };

  before(async () => {
    direct = clientFor(server);
    await direct.createCollection({
      collection_name: name,
      fields: [
        { name: 'pk', data_type: DataType.Int64, is_primary_key: true },
        { name: 'vector', data_type: DataType.FloatVector, dim: DIM },
      ],
      index_params: { field_name: 'vector', index_type: 'FLAT', metric_type: 'L2' },
    });
    await direct.insert({ collection_name: name, data: [{ pk: 1, vector: oneHot(DIM, 0) }] });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.closeConnection()));
    proxies.forEach((p) => p.close());
    await direct.dropCollection({ collection_name: name });
    await direct.closeConnection();
  });

  it('sends a rate-limited search again and resolves with its hits', async () => {
    const { proxy, client } = await through((method, n) => (method === 'Search' && n < 2 ? { reply: replyWithStatus(RATE_LIMITED) } : undefined));
    const res = await client.search({ collection_name: name, data: oneHot(DIM, 0), limit: 1 });
    assert.equal(res.status.error_code, 'Success');
    assert.equal(res.results[0].id, '1');
    assert.equal(proxy.counts.Search, 3);
  });

  it('sends a rate-limited insert again and stores its rows once', async () => {
    const before = await count();
    const { proxy, client } = await through((method, n) => (method === 'Insert' && n === 0 ? { reply: replyWithStatus(RATE_LIMITED) } : undefined));
    const res = await client.insert({ collection_name: name, data: [{ pk: 2, vector: oneHot(DIM, 1) }, { pk: 3, vector: oneHot(DIM, 2) }] });
    assert.equal(res.status.error_code, 'Success');
    assert.equal(res.insert_cnt, '2');
    assert.equal(proxy.counts.Insert, 2);
    assert.equal(await count(), before + 2);
  });

  it('sends a refused stream again for any method, insert included', async () => {
    const before = await count();
    const { proxy, client } = await through((method, n) => (method === 'Insert' && n === 0 ? { refuse: true } : undefined));
    const res = await client.insert({ collection_name: name, data: [{ pk: 4, vector: oneHot(DIM, 3) }] });
    assert.equal(res.status.error_code, 'Success');
    assert.equal(proxy.counts.Insert, 2);
    assert.equal(await count(), before + 1);
  });

  it('sends a search again after UNAVAILABLE, but never an insert that may have been stored', async () => {
    const plan = (method, n) => ((method === 'Search' || method === 'Insert') && n === 0 ? { grpcStatus: UNAVAILABLE, message: 'proxy restarting' } : undefined);
    const { proxy, client } = await through(plan);
    const hits = await client.search({ collection_name: name, data: oneHot(DIM, 0), limit: 1 });
    assert.equal(hits.results[0].id, '1');
    assert.equal(proxy.counts.Search, 2);
    const err = await client.insert({ collection_name: name, data: [{ pk: 5, vector: oneHot(DIM, 0) }] }).then(
      () => assert.fail('expected a rejection'),
      (e) => e,
    );
    assert.equal(err.code, 'UNAVAILABLE');
    assert.match(err.message, /Insert: proxy restarting/);
    assert.equal(proxy.counts.Insert, 1);
  });

  it('gives up after maxRetries and says how often the call was sent', async () => {
    const { proxy, client } = await through((method) => (method === 'Search' ? { grpcStatus: UNAVAILABLE, message: 'down' } : undefined), { maxRetries: 2 });
    const err = await client.search({ collection_name: name, data: oneHot(DIM, 0), limit: 1 }).catch((e) => e);
    assert.equal(err.code, 'UNAVAILABLE');
    assert.match(err.message, /Search: down \(sent 3 times over \d+ ms\)/);
    assert.equal(proxy.counts.Search, 3);
  });

  it('sends nothing again with maxRetries: 0 and resolves with the rate-limit status', async () => {
    const { proxy, client } = await through((method) => (method === 'Search' ? { reply: replyWithStatus(RATE_LIMITED) } : undefined), { maxRetries: 0 });
    const res = await client.search({ collection_name: name, data: oneHot(DIM, 0), limit: 1 });
    assert.equal(res.status.error_code, 'RateLimit');
    assert.equal(res.status.code, 8);
    assert.deepEqual(res.results, []);
    assert.equal(proxy.counts.Search, 1);
  });

  it('stops retrying when the next wait would pass the call deadline', async () => {
    const { proxy, client } = await through((method) => (method === 'Search' ? { reply: replyWithStatus(RATE_LIMITED) } : undefined), {
      maxRetries: 100,
      retryDelay: 20,
      timeout: 400,
    });
    const started = Date.now();
    const outcome = await client.search({ collection_name: name, data: oneHot(DIM, 0), limit: 1 }).then(
      (res) => res.status.error_code,
      (err) => err.code,
    );
    const ms = Date.now() - started;
    // The last rate-limit status when the next wait would not fit, or, when the deadline ran
    // out during the last attempt, as gRPC retries do, DEADLINE_EXCEEDED; never later.
    assert.ok(['RateLimit', 'DEADLINE_EXCEEDED'].includes(outcome), outcome);
    assert.ok(ms < 400 + 150, `took ${ms} ms`);
    assert.ok(proxy.counts.Search >= 3 && proxy.counts.Search < 10, `sent ${proxy.counts.Search} times`);
  });

  it('never retries a server error that is not transient', async () => {
    const { proxy, client } = await through((method) => (method === 'DescribeCollection' ? { reply: replyWithStatus({ error_code: 4, reason: 'collection not found', code: 100 }) } : undefined));
    const err = await client.describeCollection({ collection_name: name }).then((res) => res.status);
    assert.equal(err.error_code, 'CollectionNotExists');
    assert.equal(proxy.counts.DescribeCollection, 1);
  });

  it('connects on a retry when the server comes up after the first attempt', async () => {
    const port = await closedPort();
    const client = new MilvusClient({ address: `127.0.0.1:${port}`, maxRetries: 6, retryDelay: 40 });
    clients.push(client);
    let proxy;
    const late = new Promise((resolve) => setTimeout(resolve, 150)).then(async () => {
      proxy = await faultProxy(server.address, undefined, port);
      proxies.push(proxy);
    });
    const res = await client.hasCollection({ collection_name: name });
    await late;
    assert.equal(res.value, true);
    assert.ok(proxy.counts.DescribeCollection >= 1);
  });
});

it('refuses a maxRetries that is not a whole number from 0 to 100', async () => {
  for (const maxRetries of [-1, 1.5, 101, '3']) {
    assert.throws(
      () => new MilvusClient({ address: '127.0.0.1:1', maxRetries }),
      (err) => err.code === 'INVALID_ARGUMENT' && err.field === 'maxRetries' && /whole number from 0 to 100/.test(err.message),
    );
  }
  assert.throws(() => new MilvusClient({ address: '127.0.0.1:1', retryDelay: -5 }), (err) => err.field === 'retryDelay');
});

it('logs each retry under milvus_native::retry, without the token', async () => {
  const port = await closedPort();
  const SECRET = 'retry-log-secret-token';
  const script = `
    const { MilvusClient } = require(${JSON.stringify(fileURLToPath(new URL('../index.js', import.meta.url)))});
    const client = new MilvusClient({ address: '127.0.0.1:${port}', token: process.env.SECRET, maxRetries: 2, retryDelay: 1 });
    client.hasCollection({ collection_name: 'c' }).catch((e) => console.log(e.code, e.message));
  `;
  const run = spawnSync(process.execPath, ['-e', script], {
    env: { ...process.env, MILVUS_NATIVE_LOG: 'milvus_native::retry=debug', SECRET },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.match(run.stdout, /^UNAVAILABLE .*DescribeCollection.*\(sent 3 times over \d+ ms\)/m, run.stdout + run.stderr);
  const retries = run.stderr.split('\n').filter((l) => l.includes('sending again'));
  assert.ok(retries.some((l) => /method="?DescribeCollection"? retry=2/.test(l)), run.stderr);
  assert.ok(!run.stderr.includes(SECRET) && !run.stdout.includes(SECRET));
});
