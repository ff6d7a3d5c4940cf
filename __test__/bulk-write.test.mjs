// Large writes (1,000 rows and more) go through the JS preparer (src/bulk.rs, src/prepare.rs):
// fields with the same shape in every row are gathered into one typed array per field. These
// tests check that the results match small writes, value for value, and that errors still name
// the row and field.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { clientFor, eachServer, milvus, uniqueName } from './helpers/servers.mjs';

const { DataType } = milvus;
const DIM = 8;
const ROWS = 1500;

const byId = (rows) => Object.fromEntries(rows.map((r) => [String(r.id), r]));

eachServer('large writes', (server) => {
  let client;
  const names = [];
  const collection = async (prefix, fields, extra = {}) => {
    const name = uniqueName(prefix);
    names.push(name);
    await client.createCollection({
      collection_name: name,
      fields: [...fields, { name: 'vector', data_type: DataType.FloatVector, dim: DIM }],
      index_params: { field_name: 'vector', index_type: 'AUTOINDEX', metric_type: 'L2' },
      ...extra,
    });
    return name;
  };
  const pk = { name: 'id', data_type: DataType.Int64, is_primary_key: true };
  const vector = (i) => Array.from({ length: DIM }, (_, d) => (i + d) / 7);

  before(() => { client = clientFor(server); });
  after(async () => {
    for (const name of names) await client.dropCollection({ collection_name: name });
    await client.closeConnection();
  });

  it('stores every value exactly as a small write does', async () => {
    const name = await collection('bulk', [pk, { name: 'score', data_type: DataType.Double }, { name: 'label', data_type: DataType.VarChar, max_length: 16 }], { enable_dynamic_field: true });
    const row = (i) => ({ id: i, score: i / 3, label: `r${i}`, extra: i + 0.1, vector: vector(i) });
    // A new client has no schema cached yet: the preparer waits for the description.
    const fresh = clientFor(server);
    try {
      const res = await fresh.insert({ collection_name: name, data: Array.from({ length: ROWS }, (_, i) => row(i)) });
      assert.equal(res.insert_cnt, String(ROWS));
      assert.equal(res.IDs.int_id.data[ROWS - 1], String(ROWS - 1));
      // The same client again, now with the schema cached; Float32Array vectors this time.
      const typed = Array.from({ length: ROWS }, (_, i) => ({ ...row(ROWS + i), vector: Float32Array.from(vector(ROWS + i)) }));
      assert.equal((await fresh.insert({ collection_name: name, data: typed })).insert_cnt, String(ROWS));
    } finally {
      await fresh.closeConnection();
    }
    // The small-write path, for comparison.
    await client.insert({ collection_name: name, data: [{ ...row(1234), id: 100_000 }, { ...row(ROWS + 7), id: 100_001 }] });
    const got = byId((await client.query({
      collection_name: name,
      filter: `id in [1234, ${ROWS + 7}, 100000, 100001]`,
      output_fields: ['*'],
    })).data);
    assert.deepEqual({ ...got['1234'], id: '100000' }, got['100000']);
    assert.deepEqual({ ...got[String(ROWS + 7)], id: '100001' }, got['100001']);
    assert.equal(got['1234'].score, 1234 / 3);
    // The dynamic field: `$meta` (or spread into the row, as servers differ).
    assert.equal(got['1234'].extra ?? got['1234'].$meta?.extra, 1234.1);
    assert.equal(got['1234'].label, 'r1234');
    assert.deepEqual(got['1234'].vector, vector(1234).map(Math.fround));
  });

  it('names the row and index of a value that is not a finite number', async () => {
    const name = await collection('bulkbad', [pk]);
    const rows = () => Array.from({ length: ROWS }, (_, i) => ({ id: i, vector: vector(i) }));
    const withInf = rows();
    withInf[1100].vector[2] = Infinity;
    await assert.rejects(client.insert({ collection_name: name, data: withInf }), {
      code: 'INVALID_ARGUMENT',
      field: 'data[1100].vector',
      message: /data\[1100\]\.vector: expected finite numbers in a FloatVector, got inf at index 2/,
    });
    const withNaN = rows().map((r) => ({ ...r, vector: Float32Array.from(r.vector) }));
    withNaN[1234].vector[5] = NaN;
    await assert.rejects(client.upsert({ collection_name: name, data: withNaN }), {
      code: 'INVALID_ARGUMENT',
      message: /data\[1234\]\.vector: expected finite numbers in a FloatVector, got NaN at index 5/,
    });
    const withString = rows();
    withString[1499].vector[7] = '0.5';
    await assert.rejects(client.insert({ collection_name: name, data: withString }), {
      code: 'INVALID_ARGUMENT',
      message: /data\[1499\]\.vector: expected a FloatVector of 8 numbers, got '0\.5' in it/,
    });
    const badId = rows();
    badId[1001].id = 1.5;
    await assert.rejects(client.insert({ collection_name: name, data: badId }), {
      code: 'INVALID_ARGUMENT',
      message: /data\[1001\]\.id: expected an Int64/,
    });
    assert.equal((await client.count({ collection_name: name })).data, 0);
  });

  it('refuses a primary key in a large write to an auto_id collection', async () => {
    const name = await collection('bulkauto', [{ ...pk, autoID: true }]);
    const rows = Array.from({ length: ROWS }, (_, i) => ({ id: i, vector: vector(i) }));
    await assert.rejects(client.insert({ collection_name: name, data: rows }), {
      code: 'INVALID_ARGUMENT',
      message: /data\[0\]\.id: the primary key is auto_id/,
    });
    const res = await client.insert({ collection_name: name, data: rows.map(({ vector: v }) => ({ vector: v })) });
    assert.equal(res.insert_cnt, String(ROWS));
  });

  it('rejects a large write to a missing collection', async () => {
    const fresh = clientFor(server);
    try {
      const rows = Array.from({ length: ROWS }, (_, i) => ({ id: i, vector: vector(i) }));
      const err = await fresh.insert({ collection_name: uniqueName('missing'), data: rows }).catch((e) => e);
      assert.ok(err instanceof Error, `expected a rejection, got ${JSON.stringify(err)?.slice(0, 200)}`);
      assert.equal(typeof err.code, 'string');
      assert.notEqual(err.code, 'INTERNAL');
    } finally {
      await fresh.closeConnection();
    }
  });
});
