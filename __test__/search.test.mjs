import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { clientFor, eachServer, milvus, oneHot, uniqueName } from './helpers/servers.mjs';

const { DataType } = milvus;
const DIM = 8;

eachServer('searching', (server) => {
  let client;
  const name = uniqueName('search');
  before(async () => {
    client = clientFor(server);
    await client.createCollection({
      collection_name: name,
      fields: [
        { name: 'pk', data_type: DataType.Int64, is_primary_key: true },
        { name: 'tag', data_type: DataType.VarChar, max_length: 8 },
        { name: 'rank', data_type: DataType.Int32 },
        { name: 'embedding', data_type: DataType.FloatVector, dim: DIM },
      ],
      enable_dynamic_field: true,
      index_params: { field_name: 'embedding', index_type: 'FLAT', metric_type: 'L2' },
    });
    const data = Array.from({ length: DIM }, (_, i) => ({
      pk: 1000 + i,
      tag: i % 2 ? 'odd' : 'even',
      rank: i,
      embedding: oneHot(DIM, i),
      extra: `x${i}`,
    }));
    await client.insert({ collection_name: name, data });
  });
  after(async () => {
    await client.dropCollection({ collection_name: name });
    await client.closeConnection();
  });

  it('finds the inserted row as the top hit of its own vector', async () => {
    for (const i of [0, 3, 7]) {
      const res = await client.search({ collection_name: name, data: oneHot(DIM, i), limit: 3 });
      assert.equal(res.status.error_code, 'Success');
      assert.equal(res.results.length, 3);
      assert.equal(res.results[0].id, String(1000 + i));
      assert.equal(res.results[0].score, 0);
      assert.ok(res.results[1].score >= res.results[0].score);
    }
  });

  it('accepts a Float32Array query vector', async () => {
    const res = await client.search({ collection_name: name, data: new Float32Array(oneHot(DIM, 5)), limit: 1 });
    assert.equal(res.results[0].id, '1005');
  });

  it('returns an array of hits per query vector when there are several', async () => {
    const res = await client.search({ collection_name: name, data: [oneHot(DIM, 1), oneHot(DIM, 2)], limit: 2 });
    assert.equal(res.results.length, 2);
    assert.ok(Array.isArray(res.results[0]));
    assert.equal(res.results[0][0].id, '1001');
    assert.equal(res.results[1][0].id, '1002');
    assert.equal(res.results[1].length, 2);
  });

  it('filters, returns output fields and flattens dynamic fields', async () => {
    const res = await client.search({
      collection_name: name,
      data: oneHot(DIM, 2),
      filter: 'tag == "odd"',
      output_fields: ['tag', 'rank', 'extra'],
      limit: 4,
    });
    assert.equal(res.results.length, 4);
    for (const hit of res.results) {
      assert.equal(hit.tag, 'odd');
      assert.equal(hit.rank % 2, 1);
      assert.equal(hit.extra, `x${hit.rank}`);
      assert.equal(hit.id, String(1000 + hit.rank));
    }
  });

  it('carries the primary key even when output_fields omits it', async () => {
    const res = await client.search({ collection_name: name, data: oneHot(DIM, 4), output_fields: ['rank'], limit: 1 });
    assert.deepEqual(res.results[0], { score: 0, id: '1004', rank: 4 });
  });

  it('skips hits with offset and passes search params and metric type', async () => {
    const first = await client.search({ collection_name: name, data: oneHot(DIM, 6), limit: 3 });
    const paged = await client.search({ collection_name: name, data: oneHot(DIM, 6), limit: 2, offset: 1, params: { nprobe: 4 }, metric_type: 'L2' });
    assert.deepEqual(paged.results.map((h) => h.id), first.results.slice(1, 3).map((h) => h.id));
  });

  it('rejects a query vector of the wrong dimension before sending it', async () => {
    const err = await client.search({ collection_name: name, data: [1, 2, 3] }).catch((e) => e);
    assert.equal(err.code, 'INVALID_ARGUMENT');
    assert.match(err.message, /data: expected a FloatVector of 8 numbers .*got 3 values for field 'embedding'/);
  });

  it('rejects an unknown anns_field, naming the vector fields', async () => {
    await assert.rejects(client.search({ collection_name: name, data: oneHot(DIM, 0), anns_field: 'nope' }), /anns_field: expected one of the vector fields \[embedding\]/);
  });

  it('rejects a search of an unknown collection with CollectionNotFound', async () => {
    const err = await client.search({ collection_name: uniqueName('missing'), data: oneHot(DIM, 0) }).catch((e) => e);
    assert.ok(err instanceof Error);
    assert.equal(err.code, 'CollectionNotFound');
    assert.equal(err.status.code, 100);
  });

  it('rejects a search without data', async () => {
    await assert.rejects(client.search({ collection_name: name }), { code: 'INVALID_ARGUMENT', field: 'data' });
  });
});
