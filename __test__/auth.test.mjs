// Credentials against a real Milvus 2.3.5 with authorization on: which forms work, how wrong
// ones fail, and that secrets stay out of errors, inspect output, JSON and logs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { fileURLToPath } from 'node:url';

import { MilvusClient, ROOT, authServer, timed } from './helpers/auth.mjs';

const { server, skip } = authServer('plain');
const SECRET = 'Wr0ng-S3cret-Passw0rd';
const b64 = (s) => Buffer.from(s).toString('base64');

/** Every place a secret could leak from an error. */
function errorText(err) {
  return [err.message, err.stack, inspect(err), JSON.stringify(err), String(err.cause ?? '')].join('\n');
}

describe('authentication [milvus 2.3.5]', { skip }, () => {
  const clients = [];
  const open = (options) => {
    const client = new MilvusClient({ address: server.address, timeout: 10_000, ...options });
    clients.push(client);
    return client;
  };
  after(async () => {
    for (const c of clients) await c.closeConnection();
  });

  it('connects and lists collections with username and password', async () => {
    const client = open(ROOT);
    const info = await client.connectPromise;
    assert.equal(info.connect_status, 1);
    const res = await client.showCollections();
    assert.equal(res.status.error_code, 'Success');
  });

  it('connects with a user:password token', async () => {
    const client = open({ token: `${ROOT.username}:${ROOT.password}` });
    const res = await client.getVersion();
    assert.equal(res.status.error_code, 'Success');
    assert.match(res.version, /2\.3\.5/);
  });

  it('connects with the legacy positional form (address, ssl, username, password)', async () => {
    const client = new MilvusClient(server.address, false, ROOT.username, ROOT.password);
    clients.push(client);
    const res = await client.showCollections();
    assert.equal(res.status.error_code, 'Success');
  });

  it('rejects a wrong password with UNAUTHENTICATED within a second', async () => {
    const client = open({ username: 'root', password: SECRET });
    const { ms, error } = await timed(client.showCollections());
    assert.equal(error?.code, 'UNAUTHENTICATED');
    assert.ok(ms < 1000, `took ${ms} ms`);
  });

  it('rejects connectPromise with UNAUTHENTICATED for a wrong token', async () => {
    const client = open({ token: `root:${SECRET}` });
    await assert.rejects(client.connectPromise, (err) => err.code === 'UNAUTHENTICATED');
  });

  it('rejects calls without credentials with UNAUTHENTICATED', async () => {
    const client = open({});
    await assert.rejects(client.hasCollection({ collection_name: 'x' }), (err) => err.code === 'UNAUTHENTICATED');
  });

  it('rejects an unknown user with UNAUTHENTICATED and says the credentials were refused', async () => {
    const client = open({ username: 'nobody_here', password: SECRET });
    await assert.rejects(client.listUsers(), (err) => {
      assert.equal(err.code, 'UNAUTHENTICATED');
      assert.match(err.message, /auth/i);
      return true;
    });
  });

  it('keeps the password and token out of every part of the error', async () => {
    for (const options of [{ username: 'root', password: SECRET }, { token: `root:${SECRET}` }, { token: SECRET }]) {
      const client = open(options);
      const errors = [];
      await client.showCollections().catch((e) => errors.push(e));
      await client.connectPromise.catch((e) => errors.push(e));
      assert.equal(errors.length, 2);
      for (const err of errors) {
        const text = errorText(err);
        assert.ok(!text.includes(SECRET), text);
        assert.ok(!text.includes(b64(`root:${SECRET}`)) && !text.includes(b64(SECRET)), text);
      }
    }
  });

  it('keeps the password and token out of util.inspect(client) and JSON.stringify(client)', () => {
    for (const options of [{ username: 'root', password: SECRET }, { token: `root:${SECRET}` }]) {
      const client = open(options);
      const shown = [
        inspect(client, { showHidden: true, depth: 10 }),
        JSON.stringify(client),
        String(client),
        inspect(Object.getOwnPropertyDescriptors(client), { depth: 10 }),
      ].join('\n');
      assert.ok(!shown.includes(SECRET), shown);
      assert.ok(!shown.includes(b64(`root:${SECRET}`)), shown);
    }
  });

  it('keeps the password and token out of every log line, even at trace level', () => {
    const script = `
      const { MilvusClient } = require(${JSON.stringify(fileURLToPath(new URL('../index.js', import.meta.url)))});
      (async () => {
        const good = new MilvusClient({ address: process.env.ADDR, username: 'root', password: 'Milvus' });
        await good.showCollections();
        const bad = new MilvusClient({ address: process.env.ADDR, token: 'root:' + process.env.SECRET });
        await bad.showCollections().catch(() => {});
        await bad.connectPromise.catch(() => {});
        console.log('done');
        process.exit(0);
      })();
    `;
    const run = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, MILVUS_NATIVE_LOG: 'trace', ADDR: server.address, SECRET },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.match(run.stdout, /done/, run.stderr.slice(-2000));
    const lines = run.stderr.split('\n').filter(Boolean);
    assert.ok(lines.length > 20, `expected trace output, got ${lines.length} lines`);
    // 'Milvus' alone is no secret to look for: it is in every method path.
    for (const secret of [SECRET, b64(`root:${SECRET}`), b64('root:Milvus')]) {
      const leak = lines.find((l) => l.includes(secret));
      assert.equal(leak, undefined, `a log line contains a secret: ${leak}`);
    }
  });
});
