import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { clientFor, eachServer, oneHot, uniqueName } from './helpers/servers.mjs';

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
