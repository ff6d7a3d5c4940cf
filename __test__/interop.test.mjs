// Data written by this client reads back identically through pymilvus, and data written by
// pymilvus reads back identically through this client, for every type each server stores.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, it } from 'node:test';
import { clientFor, eachServer, lacks, milvus, uniqueName } from './helpers/servers.mjs';

const { DataType } = milvus;
const PYTHON = process.env.MILVUS_PYTHON;
const SCRIPT = new URL('./helpers/pymilvus_io.py', import.meta.url).pathname;

function pymilvus(request) {
  const run = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify(request), encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

/** Fields and two rows per type; values are exact in every encoding involved. */
function typeSet(server) {
  const fields = [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'b', data_type: DataType.Bool },
    { name: 'i8', data_type: DataType.Int8 },
    { name: 'i16', data_type: DataType.Int16 },
    { name: 'i32', data_type: DataType.Int32 },
    { name: 'i64', data_type: DataType.Int64 },
    { name: 'f', data_type: DataType.Float },
    { name: 'd', data_type: DataType.Double },
    { name: 's', data_type: DataType.VarChar, max_length: 32 },
    { name: 'j', data_type: DataType.JSON },
    { name: 'a_i64', data_type: DataType.Array, element_type: DataType.Int64, max_capacity: 4 },
    { name: 'a_s', data_type: DataType.Array, element_type: DataType.VarChar, max_capacity: 4, max_length: 8 },
    { name: 'a_d', data_type: DataType.Array, element_type: DataType.Double, max_capacity: 4 },
    { name: 'vector', data_type: DataType.FloatVector, dim: 4 },
    { name: 'sparse', data_type: DataType.SparseFloatVector },
  ];
  const rows = [
    { b: true, i8: -128, i16: 32767, i32: -7, i64: '9223372036854775807', f: 0.5, d: 0.1, s: 'ünïcode "q"', j: { k: [1, { n: null }] },
      a_i64: ['-9007199254740993', '3'], a_s: ['x', ''], a_d: [1e-300, -2.5], vector: [0.25, -1, 3.5, 0], sparse: { 2: 0.5, 4000000000: 1.25 },
      dynamic_key: { nested: ['v'] } },
    { b: false, i8: 5, i16: -32768, i32: 2147483647, i64: '-42', f: -1024.75, d: 1e300, s: '', j: [true, 'x', 2.5],
      a_i64: [], a_s: ['abcdefgh'], a_d: [], vector: [1, 2, 3, 4], sparse: { 0: 1 } },
  ];
  const indexes = [
    { field_name: 'vector', index_type: 'FLAT', metric_type: 'L2' },
    { field_name: 'sparse', index_type: 'SPARSE_INVERTED_INDEX', metric_type: 'IP' },
  ];
  if (!lacks(server, 'binaryVector')) {
    fields.push({ name: 'bin', data_type: DataType.BinaryVector, dim: 16 });
    rows[0].bin = [0, 255];
    rows[1].bin = [170, 85];
    indexes.push({ field_name: 'bin', index_type: 'BIN_FLAT', metric_type: 'HAMMING' });
  }
  if (!lacks(server, 'halfVectors')) {
    fields.push({ name: 'f16', data_type: DataType.Float16Vector, dim: 3 }, { name: 'bf16', data_type: DataType.BFloat16Vector, dim: 3 });
    Object.assign(rows[0], { f16: [0.5, -65504, 0.000244140625], bf16: [1.5, -3.0517578125e-5, 3.3895313892515355e38] });
    Object.assign(rows[1], { f16: [1, 2, 3], bf16: [-1, 0, 1] });
    indexes.push({ field_name: 'f16', index_type: 'FLAT', metric_type: 'L2' }, { field_name: 'bf16', index_type: 'FLAT', metric_type: 'L2' });
  }
  if (!lacks(server, 'nullable')) {
    fields.push({ name: 'maybe', data_type: DataType.Int32, nullable: true });
    rows[0].maybe = 12;
    rows[1].maybe = null;
  }
  if (lacks(server, 'jsonScalars')) rows[1].j = { list: rows[1].j };
  return { fields, rows, indexes };
}

/** A query row of this client with `$meta` keys spread, as pymilvus returns them. */
const flatten = ({ $meta, ...row }) => ({ ...row, ...($meta ?? {}) });
const withoutId = ({ id, ...row }) => row;

eachServer('interoperability with pymilvus', (server) => {
  let client;
  const name = uniqueName('interop');
  const { fields, rows, indexes } = typeSet(server);
  before(async () => {
    client = clientFor(server);
    await client.createCollection({ collection_name: name, fields, index_params: indexes, enable_dynamic_field: true });
  });
  after(async () => {
    await client.dropCollection({ collection_name: name });
    await client.closeConnection();
  });

  it('reads back identically what either client wrote, for every type', { skip: !PYTHON && 'MILVUS_PYTHON is not set: run the suite with scripts/test.sh' }, async () => {
    const ours = rows.map((row, i) => ({ id: String(i + 1), ...row }));
    const theirs = rows.map((row, i) => ({ id: String(i + 101), ...row }));
    const res = await client.insert({ collection_name: name, data: ours });
    assert.equal(res.status.error_code, 'Success', res.status.reason);
    assert.equal(pymilvus({ uri: server.address, collection: name, action: 'insert', rows: theirs }).insert_count, 2);

    const viaUs = Object.fromEntries((await client.query({ collection_name: name, filter: 'id > 0', output_fields: ['*'] })).data
      .map((row) => [row.id, flatten(row)]));
    const viaPy = Object.fromEntries(pymilvus({ uri: server.address, collection: name, action: 'query', filter: 'id > 0' }).rows
      .map((row) => [row.id, row]));
    assert.deepEqual(Object.keys(viaUs).sort(), ['1', '101', '102', '2']);
    for (const [i, expected] of rows.entries()) {
      const [mine, other] = [String(i + 1), String(i + 101)];
      assert.deepEqual(withoutId(viaUs[mine]), expected, `row ${mine} written by this client, read by this client`);
      assert.deepEqual(withoutId(viaUs[other]), expected, `row ${other} written by pymilvus, read by this client`);
      assert.deepEqual(withoutId(viaPy[mine]), expected, `row ${mine} written by this client, read by pymilvus`);
      assert.deepEqual(withoutId(viaPy[other]), expected, `row ${other} written by pymilvus, read by pymilvus`);
    }
  });
});
