import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { clientFor, eachServer, lacks, milvus, oneHot, uniqueName } from './helpers/servers.mjs';

const { DataType } = milvus;

const schemaFields = (dim) => [
  { name: 'pk', data_type: DataType.VarChar, is_primary_key: true, max_length: 64 },
  { name: 'age', data_type: 'Int32' },
  { name: 'embedding', data_type: DataType.FloatVector, dim },
];

eachServer('collections', (server) => {
  let client;
  const created = [];
  before(() => { client = clientFor(server); });
  after(async () => {
    for (const name of created) await client.dropCollection({ collection_name: name });
    await client.closeConnection();
  });
  const fresh = (prefix) => {
    const name = uniqueName(prefix);
    created.push(name);
    return name;
  };

  it('creates, indexes and loads a collection from the quick form', async () => {
    const name = fresh('quick');
    const status = await client.createCollection({ collection_name: name, dimension: 8 });
    assert.equal(status.error_code, 'Success');
    const desc = await client.describeCollection({ collection_name: name });
    const byName = Object.fromEntries(desc.schema.fields.map((f) => [f.name, f]));
    assert.equal(byName.id.data_type, 'Int64');
    assert.equal(byName.id.is_primary_key, true);
    assert.equal(byName.vector.data_type, 'FloatVector');
    assert.equal(byName.vector.dataType, DataType.FloatVector);
    assert.equal(byName.vector.dim, '8');
    assert.equal(desc.schema.enable_dynamic_field, true);
    const indexes = await client.listIndexes({ collection_name: name });
    assert.equal(indexes.indexes.length, 1);
    const state = await client.getLoadState({ collection_name: name });
    assert.equal(state.state, 'LoadStateLoaded');
  });

  it('creates a collection with a VarChar primary key from the quick form', async () => {
    const name = fresh('quickvc');
    await client.createCollection({ collection_name: name, dimension: 4, id_type: DataType.VarChar, metric_type: 'L2' });
    const desc = await client.describeCollection({ collection_name: name });
    const id = desc.schema.fields.find((f) => f.name === 'id');
    assert.equal(id.data_type, 'VarChar');
    assert.equal(id.max_length, '65535');
  });

  it('creates a collection from a schema without loading it', async () => {
    const name = fresh('schema');
    const status = await client.createCollection({ collection_name: name, fields: schemaFields(4) });
    assert.equal(status.error_code, 'Success');
    const desc = await client.describeCollection({ collection_name: name });
    assert.equal(desc.status.error_code, 'Success');
    assert.deepEqual(desc.schema.fields.map((f) => f.name), ['pk', 'age', 'embedding']);
    assert.equal(desc.schema.fields[0].max_length, '64');
    assert.equal(desc.schema.fields[1].data_type, 'Int32');
    assert.ok(desc.anns_fields.embedding);
    assert.ok(desc.scalar_fields.age);
    assert.equal(typeof desc.collectionID, 'string');
    assert.equal((await client.listIndexes({ collection_name: name })).indexes.length, 0);
  });

  it('creates indexes and loads when a schema comes with index_params', async () => {
    const name = fresh('schemaidx');
    await client.createCollection({
      collection_name: name,
      fields: schemaFields(4),
      index_params: [{ field_name: 'embedding', index_type: 'AUTOINDEX', metric_type: 'L2' }],
    });
    const desc = await client.describeIndex({ collection_name: name });
    assert.equal(desc.index_descriptions[0].field_name, 'embedding');
    assert.equal((await client.getLoadState({ collection_name: name })).state, 'LoadStateLoaded');
  });

  it('reports existence with hasCollection', async () => {
    const name = fresh('has');
    assert.equal((await client.hasCollection({ collection_name: name })).value, false);
    await client.createCollection({ collection_name: name, fields: schemaFields(4) });
    const res = await client.hasCollection({ collection_name: name });
    assert.equal(res.value, true);
    assert.equal(res.status.error_code, 'Success');
  });

  it('lists collections with showCollections and listCollections', async () => {
    const name = fresh('list');
    await client.createCollection({ collection_name: name, fields: schemaFields(4) });
    const shown = await client.showCollections();
    assert.ok(shown.collection_names.includes(name));
    assert.ok(shown.data.some((c) => c.name === name));
    const listed = await client.listCollections();
    assert.ok(listed.collection_names.includes(name));
  });

  it('drops a collection', async () => {
    const name = uniqueName('drop');
    await client.createCollection({ collection_name: name, fields: schemaFields(4) });
    const status = await client.dropCollection({ collection_name: name });
    assert.equal(status.error_code, 'Success');
    assert.equal((await client.hasCollection({ collection_name: name })).value, false);
  });

  it('loads, releases and reports the load state', async () => {
    const name = fresh('load');
    await client.createCollection({
      collection_name: name,
      fields: schemaFields(4),
      index_params: { field_name: 'embedding', index_type: 'AUTOINDEX', metric_type: 'L2' },
    });
    assert.equal((await client.releaseCollection({ collection_name: name })).error_code, 'Success');
    if (!lacks(server, 'loadSemantics')) {
      assert.equal((await client.getLoadState({ collection_name: name })).state, 'LoadStateNotLoad');
    }
    assert.equal((await client.loadCollection({ collection_name: name })).error_code, 'Success');
    assert.equal((await client.getLoadState({ collection_name: name })).state, 'LoadStateLoaded');
    await client.releaseCollection({ collection_name: name });
    assert.equal((await client.loadCollectionAsync({ collection_name: name })).error_code, 'Success');
  });

  it('counts rows in the collection statistics', async () => {
    const name = fresh('stats');
    await client.createCollection({ collection_name: name, dimension: 4 });
    await client.insert({ collection_name: name, data: [0, 1, 2].map((i) => ({ id: i, vector: oneHot(4, i) })) });
    await client.flush({ collection_names: [name] });
    const stats = await client.getCollectionStatistics({ collection_name: name });
    assert.equal(stats.data.row_count, '3');
    assert.deepEqual(stats.stats, [{ key: 'row_count', value: '3' }]);
  });

  it('renames a collection', { skip: lacks(server, 'rename') }, async () => {
    const name = uniqueName('rename');
    const renamed = fresh('renamed');
    await client.createCollection({ collection_name: name, fields: schemaFields(4) });
    const status = await client.renameCollection({ collection_name: name, new_collection_name: renamed });
    assert.equal(status.error_code, 'Success');
    assert.equal((await client.hasCollection({ collection_name: name })).value, false);
    assert.equal((await client.hasCollection({ collection_name: renamed })).value, true);
  });

  it('resolves describeCollection of an unknown collection with a failed status', async () => {
    const res = await client.describeCollection({ collection_name: uniqueName('missing') });
    assert.notEqual(res.status.code, 0);
    assert.equal(res.schema, null);
  });

  it('rejects loadCollection of an unknown collection with an Error carrying the status', async () => {
    const err = await client.loadCollection({ collection_name: uniqueName('missing') }).catch((e) => e);
    assert.ok(err instanceof Error);
    assert.equal(err.code, 'CollectionNotFound');
    assert.equal(err.status.code, 100);
    assert.equal(typeof err.reason, 'string');
    assert.ok('error_code' in err);
  });

  it('rejects an invalid schema before sending it, naming the field', async () => {
    const cases = [
      [[{ name: 'v', data_type: DataType.FloatVector, dim: 4 }], /is_primary_key/],
      [[{ name: 'id', data_type: DataType.Int64, is_primary_key: true }], /vector field/],
      [[{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'v', data_type: DataType.FloatVector }], /fields\[1\]\.dim/],
      [[{ name: 'id', data_type: DataType.VarChar, is_primary_key: true }, { name: 'v', data_type: 101, dim: 2 }], /fields\[0\]\.max_length/],
      [[{ name: 'id', data_type: 'Int65', is_primary_key: true }], /fields\[0\]\.data_type/],
      [[{ name: 'id', data_type: DataType.Float, is_primary_key: true }, { name: 'v', data_type: 101, dim: 2 }], /primary key/],
    ];
    for (const [fields, message] of cases) {
      const name = uniqueName('bad');
      const err = await client.createCollection({ collection_name: name, fields }).catch((e) => e);
      assert.ok(err instanceof Error, `expected an Error for ${JSON.stringify(fields)}`);
      assert.equal(err.code, 'INVALID_ARGUMENT');
      assert.match(err.message, message);
      assert.equal((await client.hasCollection({ collection_name: name })).value, false);
    }
  });

  it('rejects a missing collection_name with INVALID_ARGUMENT', async () => {
    await assert.rejects(client.describeCollection({}), { code: 'INVALID_ARGUMENT', field: 'collection_name' });
  });
});
