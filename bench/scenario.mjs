// Runs one benchmark scenario with one client in this (fresh) process and prints one JSON
// line: wall and CPU time, the event loop's max and p99 delay during the scenario, peak RSS.
//
//   node scenario.mjs <native|official> <scenario> <address> [json options]
//
// Scenarios: insert-arrays, insert-f32, search-seq, search-par, query, query-typed, startup.
import { createRequire } from 'node:module';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const [client, scenario, address, optionsJson] = process.argv.slice(2);
const options = { rows: 50_000, batch: 5_000, dim: 768, searches: 1_000, parallel: 32, parallelSearches: 3_000, queryRows: 16_384, ...JSON.parse(optionsJson || '{}') };
const MODULE = client === 'native' ? new URL('../index.js', import.meta.url).pathname : '@zilliz/milvus2-sdk-node';
const collection_name = 'bench';

function vector(dim, seed) {
  const v = new Array(dim);
  for (let i = 0; i < dim; i++) v[i] = Math.sin(seed * 31 + i);
  return v;
}

async function measure(body) {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const cpu0 = process.cpuUsage();
  loop.enable();
  const t0 = performance.now();
  const extra = await body();
  const wall = performance.now() - t0;
  // Let the loop turn once more, so that a block at the very end (decoding the last reply)
  // is recorded before the monitor stops.
  await new Promise((resolve) => setTimeout(resolve, 5));
  loop.disable();
  const cpu = process.cpuUsage(cpu0);
  return {
    wall_ms: wall,
    cpu_ms: (cpu.user + cpu.system) / 1e3,
    loop_max_ms: loop.max / 1e6,
    loop_p99_ms: loop.percentile(99) / 1e6,
    ...extra,
  };
}

async function main() {
  if (scenario === 'startup') {
    const t0 = performance.now();
    const { MilvusClient } = require(MODULE);
    const c = new MilvusClient({ address });
    const wall = performance.now() - t0;
    await c.connectPromise?.catch(() => {});
    await c.closeConnection();
    return { wall_ms: wall, cpu_ms: process.cpuUsage().user / 1e3 + process.cpuUsage().system / 1e3 };
  }
  const { MilvusClient } = require(MODULE);
  // query-typed: the opt-in Float32Array vectors (the official SDK ignores the option).
  const c = new MilvusClient({ address, timeout: 600_000, vectorOutput: scenario === 'query-typed' ? 'typed' : 'array' });
  await c.connectPromise;
  let result;
  if (scenario === 'insert-arrays' || scenario === 'insert-f32') {
    const typed = scenario === 'insert-f32';
    const batches = [];
    for (let b = 0; b < options.rows / options.batch; b++) {
      const rows = [];
      for (let i = 0; i < options.batch; i++) {
        const id = b * options.batch + i;
        const v = vector(options.dim, id);
        rows.push({ id, vector: typed ? Float32Array.from(v) : v });
      }
      batches.push(rows);
    }
    result = await measure(async () => {
      for (const data of batches) {
        const res = await c.insert({ collection_name, data });
        if (Number(res.insert_cnt) !== data.length) throw new Error(`insert failed: ${JSON.stringify(res.status)}`);
      }
    });
    result.rows_per_s = options.rows / (result.wall_ms / 1e3);
  } else if (scenario === 'search-seq') {
    const q = vector(options.dim, 7);
    await c.search({ collection_name, data: q, limit: 10 });
    const latencies = [];
    result = await measure(async () => {
      for (let i = 0; i < options.searches; i++) {
        const t = performance.now();
        const res = await c.search({ collection_name, data: q, limit: 10 });
        latencies.push(performance.now() - t);
        if (res.results.length === 0) throw new Error(`search failed: ${JSON.stringify(res.status)}`);
      }
    });
    latencies.sort((a, b) => a - b);
    result.p50_ms = latencies[Math.floor(latencies.length * 0.5)];
    result.p99_ms = latencies[Math.floor(latencies.length * 0.99)];
  } else if (scenario === 'search-par') {
    const q = vector(options.dim, 7);
    await c.search({ collection_name, data: q, limit: 10 });
    let next = 0;
    result = await measure(async () => {
      const worker = async () => {
        while (next < options.parallelSearches) {
          next += 1;
          const res = await c.search({ collection_name, data: q, limit: 10 });
          if (res.results.length === 0) throw new Error('search failed');
        }
      };
      await Promise.all(Array.from({ length: options.parallel }, worker));
    });
    result.qps = options.parallelSearches / (result.wall_ms / 1e3);
  } else if (scenario === 'query' || scenario === 'query-typed') {
    result = await measure(async () => {
      const res = await c.query({ collection_name, filter: 'id >= 0', output_fields: ['id', 'vector'], limit: options.queryRows });
      if (res.data.length !== options.queryRows || res.data[0].vector.length !== options.dim) {
        throw new Error(`query returned ${res.data.length} rows: ${JSON.stringify(res.status)}`);
      }
    });
    result.rows_per_s = options.queryRows / (result.wall_ms / 1e3);
  } else {
    throw new Error(`unknown scenario ${scenario}`);
  }
  await c.closeConnection();
  return result;
}

const result = await main();
result.peak_rss_mb = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify(result));
process.exit(0);
