// The first steps with milvus-native: connect, create a collection, insert, search, query,
// delete and drop. Run it with `npm run quickstart` (which starts a local Milvus Lite), or
// against your own server:
//   MILVUS_ADDRESS=https://<endpoint> MILVUS_TOKEN=<api key> node examples/quickstart.mjs
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { MilvusClient, DataType, MetricType } = require('../index.js');

const address = process.env.MILVUS_ADDRESS ?? 'localhost:19530';
const client = new MilvusClient({ address, token: process.env.MILVUS_TOKEN });
const collection_name = `quickstart_${Date.now()}`;
const dim = 8;

await client.connectPromise;
console.log(`connected to ${address}`);

await client.createCollection({
  collection_name,
  fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'title', data_type: DataType.VarChar, max_length: 128 },
    { name: 'year', data_type: DataType.Int32 },
    { name: 'embedding', data_type: DataType.FloatVector, dim },
  ],
  index_params: { field_name: 'embedding', index_type: 'AUTOINDEX', metric_type: MetricType.COSINE },
});
console.log(`created and loaded collection ${collection_name}`);

// Vectors may be plain arrays or Float32Arrays; int64 ids may be numbers, strings or bigints.
const books = ['Dune', 'Neuromancer', 'Foundation', 'Hyperion', 'Solaris', 'Ubik'];
const embed = (i) => Float32Array.from({ length: dim }, (_, d) => Math.cos(i * 1.7 + d));
const inserted = await client.insert({
  collection_name,
  data: books.map((title, i) => ({ id: 1000 + i, title, year: 1950 + i * 7, embedding: embed(i) })),
});
console.log(`inserted ${inserted.insert_cnt} rows, ids ${inserted.IDs.int_id.data.join(', ')}`);

const found = await client.search({
  collection_name,
  data: embed(3),
  limit: 3,
  output_fields: ['title', 'year'],
});
console.log('search for the vector of Hyperion:');
for (const hit of found.results) console.log(`  id ${hit.id}  ${hit.title} (${hit.year})  score ${hit.score.toFixed(4)}`);

const recent = await client.query({ collection_name, filter: 'year >= 1970', output_fields: ['title', 'year'] });
console.log(`query year >= 1970: ${recent.data.map((r) => r.title).join(', ')}`);

await client.delete({ collection_name, filter: 'year < 1960' });
console.log(`after deleting books before 1960: ${(await client.count({ collection_name })).data} rows`);

await client.dropCollection({ collection_name });
console.log(`dropped ${collection_name}`);
await client.closeConnection();
