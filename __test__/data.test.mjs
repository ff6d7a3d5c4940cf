import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { clientFor, eachServer, lacks, milvus, oneHot, uniqueName } from './helpers/servers.mjs';

const { DataType } = milvus;
const DIM = 4;

const allTypes = [
  { name: 'id', data_type: DataType.Int64, is_primary_key: true },
  { name: 'flag', data_type: DataType.Bool },
  { name: 'i8', data_type: DataType.Int8 },
  { name: 'i16', data_type: DataType.Int16 },
  { name: 'i32', data_type: DataType.Int32 },
  { name: 'i64', data_type: DataType.Int64 },
  { name: 'f32', data_type: DataType.Float },
  { name: 'f64', data_type: DataType.Double },
  { name: 'text', data_type: DataType.VarChar, max_length: 16 },
  { name: 'meta', data_type: DataType.JSON },
  { name: 'vec', data_type: DataType.FloatVector, dim: DIM },
];

const rowsFor = (server) => [
  { id: 1, flag: true, i8: -128, i16: 32767, i32: -2147483648, i64: '9223372036854775807', f32: 0.5, f64: 1.0000000000000002, text: 'héllo', meta: { a: [1, 2], b: { c: null } }, vec: [0.25, -1, 3.5, 0] },
  { id: '9007199254740993', flag: false, i8: 127, i16: -32768, i32: 2147483647, i64: -9007199254740993n, f32: -2.25, f64: -1e300, text: '', meta: lacks(server, 'jsonScalars') ? { s: 'a string' } : 'a string', vec: new Float32Array([1, 2, 3, 4]) },
  { id: 3n, flag: true, i8: 0, i16: 0, i32: 0, i64: 42, f32: 0, f64: 0, text: 'x'.repeat(16), meta: [1, 'two', false], vec: [0, 0, 0, 1] },
];

eachServer('inserting and reading rows', (server) => {
  let client;
  const rows = rowsFor(server);
  const name = uniqueName('types');
  const pkName = uniqueName('vcpk');
  before(async () => {
    client = clientFor(server);
    await client.createCollection({
      collection_name: name,
      fields: allTypes,
      index_params: { field_name: 'vec', index_type: 'AUTOINDEX', metric_type: 'L2' },
    });
    await client.createCollection({ collection_name: pkName, dimension: DIM, id_type: DataType.VarChar, max_length: 32 });
  });
  after(async () => {
    await client.dropCollection({ collection_name: name });
    await client.dropCollection({ collection_name: pkName });
    await client.closeConnection();
  });

  it('inserts every scalar type and float vectors and reads them back exactly', async () => {
    const res = await client.insert({ collection_name: name, data: rows });
    assert.equal(res.status.error_code, 'Success');
    assert.equal(res.insert_cnt, '3');
    assert.deepEqual(res.IDs.int_id.data, ['1', '9007199254740993', '3']);
    assert.deepEqual(res.succ_index, [0, 1, 2]);

    const out = await client.query({ collection_name: name, filter: 'id > 0', output_fields: ['*'] });
    assert.equal(out.status.error_code, 'Success');
    const byId = Object.fromEntries(out.data.map((r) => [r.id, r]));
    assert.deepEqual(Object.keys(byId).sort(), ['1', '3', '9007199254740993']);
    const one = byId['1'];
    assert.equal(one.flag, true);
    assert.equal(one.i8, -128);
    assert.equal(one.i16, 32767);
    assert.equal(one.i32, -2147483648);
    assert.equal(one.i64, '9223372036854775807');
    assert.equal(one.f32, 0.5);
    assert.equal(one.f64, 1.0000000000000002);
    assert.equal(one.text, 'héllo');
    assert.deepEqual(one.meta, { a: [1, 2], b: { c: null } });
    assert.deepEqual(one.vec, [0.25, -1, 3.5, 0]);
    const big = byId['9007199254740993'];
    assert.equal(big.i64, '-9007199254740993');
    assert.equal(big.f32, -2.25);
    assert.equal(big.f64, -1e300);
    assert.equal(big.text, '');
    assert.deepEqual(big.meta, rows[1].meta);
    assert.deepEqual(big.vec, [1, 2, 3, 4]);
    assert.deepEqual(byId['3'].meta, [1, 'two', false]);
    assert.equal(byId['3'].text, 'x'.repeat(16));
  });

  it('gets rows by primary key, including int64 keys above 2^53', async () => {
    const res = await client.get({ collection_name: name, ids: ['9007199254740993', 3n], output_fields: ['id', 'i32'] });
    assert.deepEqual(res.data.map((r) => r.id).sort(), ['3', '9007199254740993']);
    assert.deepEqual(Object.keys(res.data[0]).sort(), ['i32', 'id']);
  });

  it('pages query results with limit and offset', async () => {
    const all = await client.query({ collection_name: name, filter: 'id > 0', output_fields: ['id'] });
    assert.equal(all.data.length, 3);
    const page = await client.query({ collection_name: name, filter: 'id > 0', output_fields: ['id'], limit: 2, offset: 1 });
    assert.equal(page.data.length, 2);
    const limited = await client.query({ collection_name: name, filter: 'id > 0', limit: 1 });
    assert.equal(limited.data.length, 1);
  });

  it('counts rows, all and filtered', async () => {
    assert.deepEqual((await client.count({ collection_name: name })).data, 3);
    assert.equal((await client.count({ collection_name: name, filter: 'i32 >= 0' })).data, 2);
  });

  it('upserts rows, replacing the row with the same key', async () => {
    const res = await client.upsert({ collection_name: name, data: [{ ...rows[2], i32: 7, text: 'new' }] });
    assert.equal(res.status.error_code, 'Success');
    assert.equal(res.upsert_cnt, '1');
    const [row] = (await client.get({ collection_name: name, ids: [3], output_fields: ['i32', 'text'] })).data;
    assert.equal(row.i32, 7);
    assert.equal(row.text, 'new');
    assert.equal((await client.count({ collection_name: name })).data, 3);
  });

  it('deletes by ids and by filter, and counts drop', async () => {
    const byIds = await client.delete({ collection_name: name, ids: ['9007199254740993'] });
    assert.equal(byIds.status.error_code, 'Success');
    assert.equal((await client.count({ collection_name: name })).data, 2);
    const byFilter = await client.delete({ collection_name: name, filter: 'i32 == 7' });
    assert.equal(byFilter.status.error_code, 'Success');
    assert.equal((await client.count({ collection_name: name })).data, 1);
    assert.deepEqual((await client.query({ collection_name: name, filter: 'id > 0', output_fields: ['id'] })).data, [{ id: '1' }]);
  });

  it('flushes', async () => {
    const res = await client.flush({ collection_names: [name] });
    assert.equal(res.status.error_code, 'Success');
  });

  it('works with VarChar primary keys and the dynamic field', async () => {
    const res = await client.insert({
      collection_name: pkName,
      data: [
        { id: 'a"quote', vector: oneHot(DIM, 0), color: 'red', n: 1 },
        { id: 'b', vector: oneHot(DIM, 1) },
      ],
    });
    assert.deepEqual(res.IDs.str_id.data, ['a"quote', 'b']);
    const got = await client.get({ collection_name: pkName, ids: ['a"quote'], output_fields: ['id', 'color', 'n'] });
    assert.equal(got.data.length, 1);
    assert.equal(got.data[0].id, 'a"quote');
    const all = await client.query({ collection_name: pkName, filter: 'id != ""', output_fields: ['*'] });
    const a = all.data.find((r) => r.id === 'a"quote');
    assert.deepEqual(a.$meta, { color: 'red', n: 1 });
    await client.delete({ collection_name: pkName, ids: ['a"quote'] });
    assert.equal((await client.count({ collection_name: pkName })).data, 1);
  });

  it('resolves a query on an unknown collection with a failed status', async () => {
    const res = await client.query({ collection_name: uniqueName('missing'), filter: 'id > 0' });
    assert.notEqual(res.status.code, 0);
    assert.deepEqual(res.data, []);
  });

  it('rejects an insert into an unknown collection with CollectionNotFound', async () => {
    await assert.rejects(client.insert({ collection_name: uniqueName('missing'), data: [{ id: 1 }] }), { code: 'CollectionNotFound' });
  });

  const valid = () => ({ ...rows[0], id: 100, vec: [0, 0, 0, 0] });
  const invalid = [
    ['a vector of the wrong dimension', { vec: [1, 2, 3] }, /data\[1\]\.vec: expected a FloatVector of 4 numbers.*got 3 values/],
    ['a NaN in a vector', { vec: [1, NaN, 0, 0] }, /data\[1\]\.vec: expected finite numbers/],
    ['an unknown field without a dynamic field', { extra: 1 }, /data\[1\]\.extra: not a field of this collection/],
    ['a missing field', { i16: undefined }, /data\[1\]\.i16: missing a value for Int16/],
    ['a string for a number', { f32: '1.5' }, /data\[1\]\.f32: expected a finite number/],
    ['an out-of-range Int8', { i8: 128 }, /data\[1\]\.i8: expected an integer from -128 to 127/],
    ['a fractional Int32', { i32: 1.5 }, /data\[1\]\.i32: expected an integer/],
    ['an unsafe Int64 number', { i64: 2 ** 53 + 2 }, /data\[1\]\.i64: expected an Int64/],
    ['an Int64 beyond 64 bits', { i64: '9223372036854775808' }, /data\[1\]\.i64: expected an Int64/],
    ['an over-long VarChar', { text: 'y'.repeat(17) }, /data\[1\]\.text: expected at most 16 bytes/],
    ['a number for a Bool', { flag: 1 }, /data\[1\]\.flag: expected a boolean/],
  ];
  for (const [what, patch, message] of invalid) {
    it(`rejects ${what}, naming the row and field, and sends nothing`, async () => {
      const before = (await client.count({ collection_name: name })).data;
      const bad = { ...valid(), id: 101, ...patch };
      if (patch.i16 === undefined && 'i16' in patch) delete bad.i16;
      const err = await client.insert({ collection_name: name, data: [valid(), bad] }).catch((e) => e);
      assert.ok(err instanceof Error, `expected a rejection, got ${JSON.stringify(err)}`);
      assert.equal(err.code, 'INVALID_ARGUMENT');
      assert.match(err.message, message);
      assert.equal((await client.count({ collection_name: name })).data, before);
    });
  }

  it('writes large batches of plain-array vectors without modifying the rows', async () => {
    const data = Array.from({ length: 2500 }, (_, i) => ({ id: `${i + 1}`, vector: Array.from({ length: 32 }, (_, d) => (d === i % 32 ? 1 : 0)) }));
    const big = uniqueName('bigbatch');
    await client.createCollection({ collection_name: big, dimension: 32, id_type: DataType.VarChar });
    try {
      const res = await client.insert({ collection_name: big, data });
      assert.equal(res.insert_cnt, '2500');
      assert.ok(Array.isArray(data[0].vector), 'the caller\'s rows keep their arrays');
      const got = await client.get({ collection_name: big, ids: ['1777'], output_fields: ['vector'] });
      assert.deepEqual(got.data[0].vector, data[1776].vector);
      const bad = data.map((row) => ({ ...row }));
      bad[1800] = { id: 'x', vector: [1, 2, 3] };
      await assert.rejects(client.upsert({ collection_name: big, data: bad }), {
        code: 'INVALID_ARGUMENT',
        message: /data\[1800\]\.vector: expected a FloatVector of 32 numbers/,
      });
      const mixed = data.map((row) => ({ ...row }));
      mixed[0] = { id: 'y', vector: [1, 'two', ...Array(30).fill(0)] };
      await assert.rejects(client.insert({ collection_name: big, data: mixed }), {
        code: 'INVALID_ARGUMENT',
        message: /data\[0\]\.vector: expected a FloatVector of 32 numbers.*'two'/,
      });
    } finally {
      await client.dropCollection({ collection_name: big });
    }
  });

  it('rejects an empty insert', async () => {
    await assert.rejects(client.insert({ collection_name: name, data: [] }), { code: 'INVALID_ARGUMENT', field: 'data' });
  });
});
