import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { clientFor, eachServer, lacks, milvus, uniqueName } from './helpers/servers.mjs';

const { DataType, IndexType, MetricType } = milvus;

eachServer('indexes', (server) => {
  let client;
  const name = uniqueName('idx');
  before(async () => {
    client = clientFor(server);
    await client.createCollection({
      collection_name: name,
      fields: [
        { name: 'id', data_type: DataType.Int64, is_primary_key: true },
        { name: 'v', data_type: DataType.FloatVector, dim: 8 },
      ],
    });
  });
  after(async () => {
    await client.dropCollection({ collection_name: name });
    await client.closeConnection();
  });

  it('creates, describes, lists and drops an index', async () => {
    const created = await client.createIndex({
      collection_name: name,
      field_name: 'v',
      index_name: 'v_idx',
      index_type: IndexType.IVF_FLAT,
      metric_type: MetricType.L2,
      params: { nlist: 16 },
    });
    assert.equal(created.error_code, 'Success');

    const described = await client.describeIndex({ collection_name: name, field_name: 'v' });
    assert.equal(described.status.error_code, 'Success');
    const [index] = described.index_descriptions;
    // milvus-lite 3.2.2 names every index after its field.
    const indexName = lacks(server, 'indexName') ? 'v' : 'v_idx';
    assert.equal(index.index_name, indexName);
    assert.equal(index.field_name, 'v');
    const params = Object.fromEntries(index.params.map((p) => [p.key, p.value]));
    assert.equal(params.index_type, 'IVF_FLAT');
    assert.equal(params.metric_type, 'L2');
    assert.equal(typeof index.total_rows, 'string');

    assert.deepEqual((await client.listIndexes({ collection_name: name })).indexes, [indexName]);

    // Milvus drops indexes of released collections only.
    await client.releaseCollection({ collection_name: name });
    const dropped = await client.dropIndex({ collection_name: name, field_name: 'v', index_name: indexName });
    assert.equal(dropped.error_code, 'Success');
    assert.deepEqual((await client.listIndexes({ collection_name: name })).indexes, []);
  });

  it('resolves describeIndex of a field without an index with no descriptions', async () => {
    const res = await client.describeIndex({ collection_name: name, field_name: 'v' });
    assert.deepEqual(res.index_descriptions, []);
  });

  it('rejects an index request without field_name', async () => {
    await assert.rejects(client.createIndex({ collection_name: name, index_type: 'FLAT' }), {
      code: 'INVALID_ARGUMENT',
      field: 'field_name',
    });
  });
});
