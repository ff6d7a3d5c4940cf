import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { clientFor, eachServer, lacks, milvus, uniqueName } from './helpers/servers.mjs';

const { DataType } = milvus;

/** Creates a collection whose only vector field is `vector` (plus `extra`), indexed and loaded. */
async function collection(client, name, fields, index = { index_type: 'AUTOINDEX', metric_type: 'L2' }) {
  await client.createCollection({
    collection_name: name,
    fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, ...fields],
    index_params: { field_name: 'vector', ...index },
  });
}

const byId = (rows) => Object.fromEntries(rows.map((r) => [String(r.id), r]));

/** Within float16 / bfloat16 precision: relative error of 2^-10 / 2^-7. */
function assertClose(actual, expected, relative) {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => {
    const e = expected[i];
    assert.ok(Math.abs(a - e) <= Math.abs(e) * relative + 1e-7, `index ${i}: ${a} is not within ${relative} of ${e}`);
  });
}

eachServer('every data type', (server) => {
  let client;
  const names = [];
  const fresh = (prefix) => {
    const name = uniqueName(prefix);
    names.push(name);
    return name;
  };
  before(() => { client = clientFor(server); });
  after(async () => {
    for (const name of names) await client.dropCollection({ collection_name: name });
    await client.closeConnection();
  });

  it('round-trips arrays of every scalar element type', async () => {
    const name = fresh('arrays');
    const array = (element_type, extra = {}) => ({ data_type: DataType.Array, element_type, max_capacity: 4, ...extra });
    await collection(client, name, [
      { name: 'bools', ...array(DataType.Bool) },
      { name: 'i8s', ...array(DataType.Int8) },
      { name: 'i16s', ...array(DataType.Int16) },
      { name: 'i32s', ...array(DataType.Int32) },
      { name: 'i64s', ...array(DataType.Int64) },
      { name: 'f32s', ...array(DataType.Float) },
      { name: 'f64s', ...array(DataType.Double) },
      { name: 'strs', ...array(DataType.VarChar, { max_length: 8 }) },
      { name: 'vector', data_type: DataType.FloatVector, dim: 2 },
    ]);
    const row = {
      id: 1,
      bools: [true, false],
      i8s: [-128, 127],
      i16s: [-32768, 32767],
      i32s: [-2147483648, 2147483647],
      i64s: ['-9223372036854775808', 9007199254740993n, 5],
      f32s: new Float32Array([0.5, -1.25]),
      f64s: [1e-300, 0.1],
      strs: ['a', 'ünï', ''],
      vector: [1, 0],
    };
    const empty = { id: 2, bools: [], i8s: [], i16s: [], i32s: [], i64s: [], f32s: [], f64s: [], strs: [], vector: [0, 1] };
    await client.insert({ collection_name: name, data: [row, empty] });
    const rows = byId((await client.query({ collection_name: name, filter: 'id > 0', output_fields: ['*'] })).data);
    assert.deepEqual(rows['1'], {
      ...row,
      id: '1',
      i64s: ['-9223372036854775808', '9007199254740993', '5'],
      f32s: [0.5, -1.25],
    });
    assert.deepEqual(rows['2'].strs, []);
    assert.deepEqual(rows['2'].i64s, []);
  });

  it('refuses an array over max_capacity or with a wrong element', async () => {
    const name = fresh('arraycap');
    await collection(client, name, [
      { name: 'tags', data_type: DataType.Array, element_type: DataType.Int16, max_capacity: 2 },
      { name: 'vector', data_type: DataType.FloatVector, dim: 2 },
    ]);
    await assert.rejects(client.insert({ collection_name: name, data: [{ id: 1, tags: [1, 2, 3], vector: [0, 1] }] }),
      { code: 'INVALID_ARGUMENT', message: /data\[0\]\.tags: expected at most 2 elements \(max_capacity\), got 3/ });
    await assert.rejects(client.insert({ collection_name: name, data: [{ id: 1, tags: [1, 40000], vector: [0, 1] }] }),
      { message: /data\[0\]\.tags: expected an integer from -32768 to 32767 \(Int16\), got 40000 at element 1/ });
  });

  it('accepts sparse vectors in every input form and returns them as dicts', async () => {
    const name = fresh('sparse');
    await collection(client, name, [{ name: 'vector', data_type: DataType.SparseFloatVector }],
      { index_type: 'SPARSE_INVERTED_INDEX', metric_type: 'IP', params: { drop_ratio_build: 0 } });
    const gaps = [];
    gaps[3] = 0.5;
    gaps[1000] = 1.5;
    const data = [
      { id: 1, vector: { 3: 0.5, 1000: 1.5 } },
      { id: 2, vector: { indices: [3, 1000], values: [0.5, 1.5] } },
      { id: 3, vector: [{ index: 1000, value: 1.5 }, { index: 3, value: 0.5 }] },
      { id: 4, vector: gaps },
      { id: 5, vector: { 7: 2.25 } },
    ];
    await client.insert({ collection_name: name, data });
    const rows = byId((await client.query({ collection_name: name, filter: 'id > 0', output_fields: ['vector'] })).data);
    for (const id of ['1', '2', '3', '4']) assert.deepEqual(rows[id].vector, { 3: 0.5, 1000: 1.5 });
    assert.deepEqual(rows['5'].vector, { 7: 2.25 });
    const hits = await client.search({ collection_name: name, data: { 7: 1 }, limit: 1 });
    assert.equal(hits.results[0].id, '5');
    assert.equal(hits.results[0].score, 2.25);
  });

  it('round-trips binary vectors from Buffers and byte arrays', { skip: lacks(server, 'binaryVector') }, async () => {
    const name = fresh('binary');
    await collection(client, name, [{ name: 'vector', data_type: DataType.BinaryVector, dim: 16 }],
      { index_type: 'BIN_FLAT', metric_type: 'HAMMING' });
    await client.insert({
      collection_name: name,
      data: [{ id: 1, vector: Buffer.from([0b10101010, 255]) }, { id: 2, vector: [0, 15] }],
    });
    const rows = byId((await client.query({ collection_name: name, filter: 'id > 0', output_fields: ['vector'] })).data);
    assert.deepEqual(rows['1'].vector, [170, 255]);
    assert.deepEqual(rows['2'].vector, [0, 15]);
    const hits = await client.search({ collection_name: name, data: Buffer.from([0, 15]), limit: 2 });
    assert.equal(hits.results[0].id, '2');
    assert.equal(hits.results[0].score, 0);
    await assert.rejects(client.insert({ collection_name: name, data: [{ id: 3, vector: [1, 2, 3] }] }),
      { message: /data\[0\]\.vector: expected a BinaryVector of 2 bytes \(dim 16 \/ 8\), got 3 bytes/ });
  });

  for (const [type, relative, bfloat] of [[DataType.Float16Vector, 2 ** -10, false], [DataType.BFloat16Vector, 2 ** -7, true]]) {
    const label = bfloat ? 'bfloat16' : 'float16';
    it(`round-trips ${label} vectors from numbers and raw bytes`, { skip: lacks(server, 'halfVectors') }, async () => {
      const name = fresh(label);
      // milvus-lite 2.5.1 indexes these types with FLAT only.
      await collection(client, name, [{ name: 'vector', data_type: type, dim: 4 }], { index_type: 'FLAT', metric_type: 'L2' });
      const numbers = [0.1, -2.5, 1000.25, 3.14159];
      const raw = bfloat ? Buffer.from([0x80, 0x3f, 0, 0x40, 0, 0, 0, 0xc0]) : Buffer.from([0, 0x3c, 0, 0x40, 0, 0, 0, 0xc0]);
      await client.insert({ collection_name: name, data: [{ id: 1, vector: numbers }, { id: 2, vector: raw }] });
      const rows = byId((await client.query({ collection_name: name, filter: 'id > 0', output_fields: ['vector'] })).data);
      assertClose(rows['1'].vector, numbers, relative);
      assert.deepEqual(rows['2'].vector, [1, 2, 0, -2]);
      const hits = await client.search({ collection_name: name, data: [1, 2, 0, -2], limit: 1 });
      assert.equal(hits.results[0].id, '2');
      await assert.rejects(client.insert({ collection_name: name, data: [{ id: 3, vector: [1e39, 0, 0, 0] }] }),
        { code: 'INVALID_ARGUMENT', message: /data\[0\]\.vector: expected/ });
      // Just above the midpoint between 1 and the next value: rounds up, once. Rounding to f32
      // first would land on the midpoint itself and round down to 1.
      const bits = bfloat ? 7 : 10;
      const above = 1 + 2 ** -(bits + 1) + 2 ** -40;
      const next = 1 + 2 ** -bits;
      // A small write, and a large one that goes through the JS preparer.
      const many = Array.from({ length: 1200 }, (_, i) => ({ id: 10 + i, vector: [above, 0, 0, i % 64] }));
      await client.insert({ collection_name: name, data: [{ id: 4, vector: [above, -above, 0, 0] }] });
      await client.insert({ collection_name: name, data: many });
      const got = byId((await client.query({ collection_name: name, filter: 'id in [4, 1100]', output_fields: ['vector'] })).data);
      assert.deepEqual(got['4'].vector, [next, -next, 0, 0]);
      assert.deepEqual(got['1100'].vector, [next, 0, 0, 1090 % 64]);
    });
  }

  it('stores nulls and defaults for nullable fields and returns null', { skip: lacks(server, 'nullable') }, async () => {
    const name = fresh('nullable');
    await collection(client, name, [
      { name: 'note', data_type: DataType.VarChar, max_length: 16, nullable: true },
      { name: 'score', data_type: DataType.Double, nullable: true },
      { name: 'level', data_type: DataType.Int32, default_value: 7 },
      { name: 'vector', data_type: DataType.FloatVector, dim: 2 },
    ]);
    await client.insert({
      collection_name: name,
      data: [
        { id: 1, note: 'set', score: 1.5, level: 1, vector: [1, 0] },
        { id: 2, note: null, vector: [0, 1] },
        { id: 3, score: 2.5, level: null, vector: [1, 1] },
      ],
    });
    const rows = byId((await client.query({ collection_name: name, filter: 'id > 0', output_fields: ['note', 'score', 'level'] })).data);
    assert.deepEqual(rows['1'], { id: '1', note: 'set', score: 1.5, level: 1 });
    assert.deepEqual(rows['2'], { id: '2', note: null, score: null, level: 7 });
    assert.deepEqual(rows['3'], { id: '3', note: null, score: 2.5, level: 7 });
  });

  it('generates primary keys for auto_id collections', async () => {
    const name = fresh('autoid');
    await client.createCollection({
      collection_name: name,
      fields: [
        { name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: true },
        { name: 'vector', data_type: DataType.FloatVector, dim: 2 },
      ],
      index_params: { field_name: 'vector', index_type: 'AUTOINDEX', metric_type: 'L2' },
    });
    const res = await client.insert({ collection_name: name, data: [{ vector: [1, 0] }, { vector: [0, 1] }] });
    assert.equal(res.IDs.int_id.data.length, 2);
    const rows = (await client.query({ collection_name: name, filter: 'id != 0', output_fields: ['id'] })).data;
    assert.deepEqual(rows.map((r) => r.id).sort(), [...res.IDs.int_id.data].sort());
    await assert.rejects(client.insert({ collection_name: name, data: [{ id: 5, vector: [1, 0] }] }),
      { code: 'INVALID_ARGUMENT', message: /data\[0\]\.id: the primary key is auto_id/ });
  });

  it('writes and reads a partition key field', { skip: lacks(server, 'partitionKey') }, async () => {
    const name = fresh('partkey');
    await collection(client, name, [
      { name: 'tenant', data_type: DataType.VarChar, max_length: 16, is_partition_key: true },
      { name: 'vector', data_type: DataType.FloatVector, dim: 2 },
    ]);
    const desc = await client.describeCollection({ collection_name: name });
    assert.equal(desc.schema.fields.find((f) => f.name === 'tenant').is_partition_key, true);
    await client.insert({ collection_name: name, data: [{ id: 1, tenant: 'a', vector: [1, 0] }, { id: 2, tenant: 'b', vector: [0, 1] }] });
    const rows = (await client.query({ collection_name: name, filter: 'id > 0', output_fields: ['tenant'] })).data;
    assert.deepEqual(rows.map((r) => r.tenant).sort(), ['a', 'b']);
  });

  it('searches each of several vector fields', async () => {
    const name = fresh('multivec');
    await client.createCollection({
      collection_name: name,
      fields: [
        { name: 'id', data_type: DataType.Int64, is_primary_key: true },
        { name: 'text', data_type: DataType.FloatVector, dim: 2 },
        { name: 'image', data_type: DataType.FloatVector, dim: 3 },
      ],
      index_params: [
        { field_name: 'text', index_type: 'AUTOINDEX', metric_type: 'L2' },
        { field_name: 'image', index_type: 'AUTOINDEX', metric_type: 'L2' },
      ],
    });
    await client.insert({
      collection_name: name,
      data: [{ id: 1, text: [1, 0], image: [0, 0, 1] }, { id: 2, text: [0, 1], image: [1, 0, 0] }],
    });
    const byText = await client.search({ collection_name: name, anns_field: 'text', data: [1, 0], limit: 1 });
    const byImage = await client.search({ collection_name: name, anns_field: 'image', data: [1, 0, 0], limit: 1 });
    assert.equal(byText.results[0].id, '1');
    assert.equal(byImage.results[0].id, '2');
  });

  it('returns int64 values as bigint when the client asks for it', async () => {
    const name = fresh('bigint');
    await collection(client, name, [
      { name: 'big', data_type: DataType.Int64 },
      { name: 'vector', data_type: DataType.FloatVector, dim: 2 },
    ]);
    const bigClient = clientFor(server, { int64Output: 'bigint' });
    try {
      await bigClient.insert({ collection_name: name, data: [{ id: 9007199254740993n, big: -9223372036854775808n, vector: [1, 0] }] });
      const [row] = (await bigClient.query({ collection_name: name, filter: 'id > 0', output_fields: ['id', 'big'] })).data;
      assert.equal(row.id, 9007199254740993n);
      assert.equal(row.big, -9223372036854775808n);
      const hits = await bigClient.search({ collection_name: name, data: [1, 0], limit: 1 });
      assert.equal(hits.results[0].id, 9007199254740993n);
    } finally {
      await bigClient.closeConnection();
    }
  });

  it('returns float vectors as Float32Array when the client asks for typed vectors', async () => {
    const name = fresh('typed');
    await collection(client, name, [{ name: 'vector', data_type: DataType.FloatVector, dim: 3 }]);
    const typedClient = clientFor(server, { vectorOutput: 'typed' });
    try {
      await typedClient.insert({ collection_name: name, data: [{ id: 1, vector: [0.5, -1, 2] }] });
      const [row] = (await typedClient.query({ collection_name: name, filter: 'id > 0', output_fields: ['vector'] })).data;
      assert.ok(row.vector instanceof Float32Array);
      assert.deepEqual([...row.vector], [0.5, -1, 2]);
    } finally {
      await typedClient.closeConnection();
    }
  });

  it('assembles large query results over several turns of the event loop, in order', async () => {
    const name = fresh('large');
    await collection(client, name, [
      { name: 'label', data_type: DataType.VarChar, max_length: 16 },
      { name: 'vector', data_type: DataType.FloatVector, dim: 4 },
    ]);
    const data = Array.from({ length: 5000 }, (_, i) => ({ id: i + 1, label: `r${i + 1}`, vector: [i, -i, i / 2, 1] }));
    for (let i = 0; i < data.length; i += 1000) await client.insert({ collection_name: name, data: data.slice(i, i + 1000) });
    let turns = 0;
    const ticker = setInterval(() => { turns += 1; }, 0);
    const res = await client.query({ collection_name: name, filter: 'id > 0', output_fields: ['label', 'vector'], limit: 5000 });
    clearInterval(ticker);
    assert.equal(res.data.length, 5000);
    const byKey = new Map(res.data.map((r) => [r.id, r]));
    for (const i of [1, 2048, 2049, 4097, 5000]) {
      assert.equal(byKey.get(String(i)).label, `r${i}`);
      assert.deepEqual(byKey.get(String(i)).vector, [i - 1, -(i - 1), (i - 1) / 2, 1]);
    }
    assert.ok(turns >= 1);
  });

  it('refuses an unknown int64Output option', () => {
    assert.throws(() => clientFor(server, { int64Output: 'number' }), { code: 'INVALID_ARGUMENT', message: /int64Output/ });
  });
});
