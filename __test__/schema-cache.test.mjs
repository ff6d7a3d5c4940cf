import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { clientFor, eachServer, milvus, oneHot, uniqueName } from './helpers/servers.mjs';

const { DataType } = milvus;

eachServer('schema cache', (server) => {
  let first;
  let second;
  const name = uniqueName('cache');
  before(() => {
    first = clientFor(server);
    second = clientFor(server);
  });
  after(async () => {
    await first.dropCollection({ collection_name: name });
    await first.closeConnection();
    await second.closeConnection();
  });

  it('follows a collection that another client recreated with a different schema', async () => {
    await first.createCollection({ collection_name: name, dimension: 4 });
    await first.insert({ collection_name: name, data: [{ id: 1, vector: oneHot(4, 0) }] });
    assert.equal((await first.search({ collection_name: name, data: oneHot(4, 0), limit: 1 })).results[0].id, '1');

    await second.dropCollection({ collection_name: name });
    await second.createCollection({ collection_name: name, dimension: 8 });

    const inserted = await first.insert({ collection_name: name, data: [{ id: 2, vector: oneHot(8, 3) }] });
    assert.equal(inserted.status.error_code, 'Success');
    const hits = await first.search({ collection_name: name, data: oneHot(8, 3), limit: 1 });
    assert.equal(hits.results[0].id, '2');
    await assert.rejects(first.search({ collection_name: name, data: oneHot(4, 0) }), { code: 'INVALID_ARGUMENT' });
  });

  it('gets and deletes by ids after another client recreated the collection with another primary key', async () => {
    const other = uniqueName('cache3');
    const recreate = async (pk) => {
      await second.dropCollection({ collection_name: other });
      await second.createCollection({
        collection_name: other,
        fields: [pk, { name: 'vector', data_type: DataType.FloatVector, dim: 4 }],
        index_params: { field_name: 'vector', index_type: 'FLAT', metric_type: 'L2' },
      });
    };
    await first.createCollection({ collection_name: other, dimension: 4 });
    await first.insert({ collection_name: other, data: [{ id: 1, vector: oneHot(4, 0) }] });
    assert.equal((await first.get({ collection_name: other, ids: [1] })).data.length, 1);

    // first still has `id` (Int64) cached: the string key fits only the new schema.
    await recreate({ name: 'key', data_type: DataType.VarChar, max_length: 16, is_primary_key: true });
    await second.insert({ collection_name: other, data: [{ key: 'a', vector: oneHot(4, 1) }] });
    const got = await first.get({ collection_name: other, ids: ['a'], output_fields: ['key'] });
    assert.equal(got.status.error_code, 'Success');
    assert.deepEqual(got.data, [{ key: 'a' }]);

    // Now `key` (VarChar) is cached: the number fits only the next schema.
    await recreate({ name: 'num', data_type: DataType.Int64, is_primary_key: true });
    await second.insert({ collection_name: other, data: [{ num: 7, vector: oneHot(4, 2) }, { num: 8, vector: oneHot(4, 3) }] });
    const deleted = await first.delete({ collection_name: other, ids: [7] });
    assert.equal(deleted.status.error_code, 'Success');
    const left = await second.query({ collection_name: other, filter: 'num > 0', output_fields: ['num'] });
    assert.deepEqual(left.data, [{ num: '8' }]);
    await first.dropCollection({ collection_name: other });
  });

  it('forgets the schema of a collection it drops itself', async () => {
    const other = uniqueName('cache2');
    await first.createCollection({ collection_name: other, dimension: 4 });
    await first.insert({ collection_name: other, data: [{ id: 1, vector: oneHot(4, 1) }] });
    await first.dropCollection({ collection_name: other });
    await first.createCollection({ collection_name: other, dimension: 2 });
    const res = await first.insert({ collection_name: other, data: [{ id: 1, vector: [1, 0] }] });
    assert.equal(res.insert_cnt, '1');
    await first.dropCollection({ collection_name: other });
  });
});
