// Benchmarks milvus-native against @zilliz/milvus2-sdk-node 3.0.6 on the same servers, in
// alternating fresh processes, and prints medians and ratios per scenario.
//
//   node bench/run.mjs [--rounds N] [--only stub|lite] [--quick]
//
// Servers: the zero-cost stub in bench/src/bin/stub.rs (client cost only) and milvus-lite
// 2.5.1 (a real server; smaller sizes, since it slows sharply above ~2,000 rows per batch).
// Also runs the raw tonic clients (bench/src/bin/raw.rs, raw_query.rs) as the transport ceilings
// for inserts and queries, then checks the performance targets against the stub medians.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const ROUNDS = Number(flag('rounds', 3));
const ONLY = flag('only', '');
const QUICK = args.includes('--quick');

function sh(cmd, cmdArgs, options = {}) {
  execFileSync(cmd, cmdArgs, { stdio: 'inherit', cwd: ROOT, ...options });
}

// Build what the benchmark runs: the addon (release), the stub and the raw client (no LTO).
if (!existsSync(join(ROOT, 'node_modules/@napi-rs/cli'))) sh('npm', ['ci', '--no-audit', '--no-fund']);
sh('npm', ['run', '--silent', 'build']);
sh('cargo', ['build', '--quiet', '--profile', 'helper', '-p', 'milvus-native-bench']);
if (!existsSync(join(HERE, 'node_modules/@zilliz/milvus2-sdk-node'))) sh('npm', ['ci', '--no-audit', '--no-fund'], { cwd: HERE });

const children = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGTERM')));

async function startStub(dim) {
  const child = spawn(join(ROOT, 'target/helper/milvus-stub'), ['0', String(dim)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (line) => resolve(String(line).trim().split(' ')[1]));
    child.once('exit', (code) => reject(new Error(`stub exited with ${code}`)));
  });
}

function startLite() {
  const server = join(ROOT, 'scripts/milvus-server.sh');
  const port = execFileSync(server, ['free-port'], { encoding: 'utf8' }).trim();
  const state = join(ROOT, '.cache/bench-lite25');
  const address = execFileSync(server, ['start', 'lite25', port, state], { encoding: 'utf8' }).trim();
  process.on('exit', () => spawnSync(server, ['stop', state]));
  return address;
}

function scenario(client, name, address, options) {
  const run = spawnSync(process.execPath, ['--max-old-space-size=8192', join(HERE, 'scenario.mjs'), client, name, address, JSON.stringify(options)], {
    encoding: 'utf8',
    cwd: HERE,
    // The official SDK has hung now and then (an insert waiting on an idle connection): give up
    // on that sample after 3 minutes (its slowest scenario takes about 40 s) rather than 10.
    timeout: 3 * 60_000,
  });
  if (run.status !== 0) {
    return { error: (run.stderr || run.stdout).trim().split('\n').slice(-3).join(' ') };
  }
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

const median = (xs) => {
  const s = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

const METRICS = ['wall_ms', 'cpu_ms', 'loop_max_ms', 'loop_p99_ms', 'peak_rss_mb', 'rows_per_s', 'p50_ms', 'p99_ms', 'qps'];
const HIGHER_IS_BETTER = new Set(['rows_per_s', 'qps']);

async function suite(server, address, plan) {
  const results = [];
  for (const [name, options] of plan) {
    const samples = { native: [], official: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? ['official', 'native'] : ['native', 'official'];
      for (const client of order) samples[client].push(scenario(client, name, address, options));
    }
    const row = { server, scenario: name, options };
    for (const client of ['native', 'official']) {
      const ok = samples[client].filter((s) => !s.error);
      row[client] = ok.length ? Object.fromEntries(METRICS.filter((m) => m in ok[0]).map((m) => [m, median(ok.map((s) => s[m]))])) : { error: samples[client][0].error };
    }
    results.push(row);
    print(row);
  }
  return results;
}

function fmt(x) {
  if (typeof x !== 'number' || Number.isNaN(x)) return '-';
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function print(row) {
  console.log(`\n${row.server} / ${row.scenario} ${JSON.stringify(row.options)}`);
  if (row.native.error || row.official.error) {
    console.log(`  native: ${row.native.error ?? 'ok'}; official: ${row.official.error ?? 'ok'}`);
  }
  for (const metric of METRICS) {
    const a = row.native[metric];
    const b = row.official[metric];
    if (a === undefined && b === undefined) continue;
    const ratio = HIGHER_IS_BETTER.has(metric) ? a / b : b / a;
    console.log(`  ${metric.padEnd(12)} native ${fmt(a).padStart(9)}   official ${fmt(b).padStart(9)}   advantage ${fmt(ratio)}x`);
  }
}

// The targets of the performance issue, checked against this run's stub medians. Each is
// [what, measured, goal, holds]; ratios are official / native for costs, native / official
// for rates, as in the rows above.
function checkTargets(rows, ceiling) {
  const get = (name) => rows.find((r) => r.scenario === name);
  const [startup, arrays, f32, seq, par, query, typed] = ['startup', 'insert-arrays', 'insert-f32', 'search-seq', 'search-par', 'query', 'query-typed'].map(get);
  const faster = (row, m) => row.native[m] / row.official[m];
  const cheaper = (row, m) => row.official[m] / row.native[m];
  const targets = [
    ['insert number[]: rows/s vs official', faster(arrays, 'rows_per_s'), '>= 50x', (x) => x >= 50],
    ['insert number[]: less process CPU', cheaper(arrays, 'cpu_ms'), '>= 30x', (x) => x >= 30],
    ['insert Float32Array: distance from raw tonic ceiling', ceiling / f32.native.rows_per_s, '<= 3x', (x) => x <= 3],
    ['insert number[]: event loop max delay (ms)', arrays.native.loop_max_ms, '< 20', (x) => x < 20],
    ['insert Float32Array: event loop max delay (ms)', f32.native.loop_max_ms, '< 20', (x) => x < 20],
    ['insert number[]: peak RSS vs official', arrays.native.peak_rss_mb / arrays.official.peak_rss_mb, '<= 0.33', (x) => x <= 1 / 3],
    ['insert Float32Array: peak RSS vs official', f32.native.peak_rss_mb / f32.official.peak_rss_mb, '<= 0.33', (x) => x <= 1 / 3],
    ['search nq=1: p50 latency vs official', seq.native.p50_ms / seq.official.p50_ms, '<= 0.33', (x) => x <= 1 / 3],
    ['search, 32 in flight: QPS vs official', faster(par, 'qps'), '>= 5x', (x) => x >= 5],
    ['query 16,384 x 768, number[] rows: rows/s vs official', faster(query, 'rows_per_s'), '>= 10x', (x) => x >= 10],
    ['query number[] rows: event loop max delay (ms)', query.native.loop_max_ms, '< 50', (x) => x < 50],
    ['query typed: rows/s vs number[] rows', typed.native.rows_per_s / query.native.rows_per_s, '> 1x', (x) => x > 1],
    ['require + new MilvusClient (ms)', startup.native.wall_ms, '< 20', (x) => x < 20],
  ].map(([what, measured, goal, test]) => ({ what, measured, goal, holds: Boolean(test(measured)) }));
  console.log('\ntargets (stub, medians of this run):');
  for (const t of targets) console.log(`  ${t.holds ? 'ok  ' : 'MISS'} ${t.what.padEnd(56)} ${fmt(t.measured).padStart(8)}   goal ${t.goal}`);
  console.log(`  ${targets.filter((t) => t.holds).length} of ${targets.length} targets hold`);
  return targets;
}

const dim = 768;
const all = [];
if (ONLY !== 'lite') {
  const stub = await startStub(dim);
  const rows = QUICK ? 10_000 : 50_000;
  const plan = [
    ['startup', {}],
    ['insert-arrays', { rows, batch: 5_000, dim }],
    ['insert-f32', { rows, batch: 5_000, dim }],
    ['search-seq', { dim, searches: 1_000 }],
    ['search-par', { dim, parallel: 32, parallelSearches: 3_000 }],
    ['query', { dim, queryRows: 16_384 }],
    ['query-typed', { dim, queryRows: 16_384 }],
  ];
  all.push(...(await suite('stub', stub, plan)));
  const raw = [];
  for (let round = 0; round < ROUNDS; round++) {
    const out = execFileSync(join(ROOT, 'target/helper/raw-insert'), [stub, String(rows), '5000', String(dim)], { encoding: 'utf8' });
    raw.push(JSON.parse(out));
  }
  const ceiling = median(raw.map((r) => r.rows_per_s));
  const f32 = all.find((r) => r.scenario === 'insert-f32');
  console.log(`\nraw tonic ceiling (pre-built columns): ${fmt(ceiling)} rows/s; milvus-native with Float32Array is ${fmt(ceiling / f32.native.rows_per_s)}x from it`);
  all.push({ server: 'stub', scenario: 'raw-ceiling', rows_per_s: ceiling });
  // The same for queries: a tonic client that only receives and decodes (best of 3 per round).
  const rawQuery = [];
  for (let round = 0; round < ROUNDS; round++) {
    const out = execFileSync(join(ROOT, 'target/helper/raw-query'), [stub, '16384', '3'], { encoding: 'utf8' });
    rawQuery.push(JSON.parse(out));
  }
  const queryCeiling = median(rawQuery.map((r) => r.rows_per_s));
  const [query, typed] = ['query', 'query-typed'].map((name) => all.find((r) => r.scenario === name).native.rows_per_s);
  console.log(`raw tonic query (receive and decode 16,384 rows): ${fmt(queryCeiling)} rows/s; milvus-native is ${fmt(queryCeiling / typed)}x from it with typed vectors, ${fmt(queryCeiling / query)}x with number[] rows`);
  all.push({ server: 'stub', scenario: 'raw-query-ceiling', rows_per_s: queryCeiling });
  all.push({ server: 'stub', scenario: 'targets', targets: checkTargets(all, ceiling) });
}
if (ONLY !== 'stub') {
  const lite = startLite();
  const plan = [
    ['insert-f32', { rows: 10_000, batch: 2_000, dim }],
    ['search-seq', { dim, searches: 300 }],
    ['query', { dim, queryRows: 2_048 }],
  ];
  // The lite server needs the collection to exist: create it with the native client.
  execFileSync(process.execPath, ['-e', `
    const { MilvusClient } = require(${JSON.stringify(join(ROOT, 'index.js'))});
    const c = new MilvusClient({ address: ${JSON.stringify(lite)} });
    c.createCollection({ collection_name: 'bench', dimension: ${dim}, metric_type: 'L2', enable_dynamic_field: false })
      .then(() => c.closeConnection(), (e) => { console.error(e); process.exit(1); });
  `]);
  all.push(...(await suite('milvus-lite 2.5.1', lite, plan)));
}
writeFileSync(join(HERE, 'results.json'), `${JSON.stringify(all, null, 2)}\n`);
console.log(`\nwrote ${join(HERE, 'results.json')}`);
process.exit(0);
