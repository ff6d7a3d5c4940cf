// TLS against real Milvus 2.3.5 servers: one-way TLS, mutual TLS, and failures that say which
// setting is wrong, well within the deadline.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { inspect } from 'node:util';

import { MilvusClient, ROOT, authServer, certFile, certPath, timed } from './helpers/auth.mjs';

const oneWay = authServer('tls');
const mutual = authServer('mtls');
const plain = authServer('plain');
const TIMEOUT = 8_000;
/** A failure must come well before the deadline: nothing waits for it. */
const FAST = 3_000;
const port = (server) => server.address.split(':').pop();

function opener(clients) {
  return (address, options = {}) => {
    const client = new MilvusClient({ address, timeout: TIMEOUT, ...ROOT, ...options });
    clients.push(client);
    return client;
  };
}

describe('one-way TLS [milvus 2.3.5]', { skip: oneWay.skip }, () => {
  const { server } = oneWay;
  const clients = [];
  const open = opener(clients);
  after(async () => {
    for (const c of clients) await c.closeConnection();
  });

  it('connects with tls.rootCertPath', async () => {
    const client = open(server.address, { tls: { rootCertPath: certPath(server, 'ca.pem') } });
    assert.equal((await client.connectPromise).connect_status, 1);
    assert.equal((await client.showCollections()).status.error_code, 'Success');
  });

  it('connects with tls.rootCert given as a Buffer or as a string', async () => {
    const pem = certFile(server, 'ca.pem');
    for (const rootCert of [pem, pem.toString('utf8')]) {
      const client = open(server.address, { tls: { rootCert } });
      assert.equal((await client.getVersion()).status.error_code, 'Success');
    }
  });

  it('connects to an https:// address with the CA', async () => {
    const client = open(`https://localhost:${port(server)}`, { tls: { rootCertPath: certPath(server, 'ca.pem') } });
    assert.equal((await client.showCollections()).status.error_code, 'Success');
  });

  it('checks the certificate against tls.serverName instead of the address host', async () => {
    const client = open(server.address, { tls: { rootCertPath: certPath(server, 'ca.pem'), serverName: 'localhost' } });
    assert.equal((await client.showCollections()).status.error_code, 'Success');
  });

  it('rejects a server name the certificate was not issued for, saying so', async () => {
    const client = open(server.address, { tls: { rootCertPath: certPath(server, 'ca.pem'), serverName: 'wrong.example' } });
    const { ms, error } = await timed(client.showCollections());
    assert.equal(error?.code, 'UNAVAILABLE');
    assert.match(error.message, /TLS handshake failed: .*not valid for the name 'wrong\.example'.*tls\.serverName/);
    assert.ok(ms < FAST, `took ${ms} ms`);
  });

  it('rejects a server whose CA is not trusted, saying which option to set', async () => {
    const client = open(`https://localhost:${port(server)}`);
    const { ms, error } = await timed(client.showCollections());
    assert.equal(error?.code, 'UNAVAILABLE');
    assert.match(error.message, /TLS handshake failed: .*not signed by a trusted CA.*tls\.rootCert/);
    assert.ok(ms < FAST, `took ${ms} ms`);
  });

  it('rejects connectPromise with the same TLS reason', async () => {
    const client = open(server.address, { ssl: true });
    await assert.rejects(client.connectPromise, (err) => err.code === 'UNAVAILABLE' && /trusted CA/.test(err.message));
  });

  it('accepts an untrusted certificate with tls.skipCertCheck', async () => {
    const client = open(server.address, { tls: { skipCertCheck: true } });
    assert.equal((await client.showCollections()).status.error_code, 'Success');
  });

  it('rejects plaintext to a TLS port quickly, suggesting TLS', async () => {
    const client = open(server.address);
    const { ms, error } = await timed(client.showCollections());
    assert.ok(error, 'expected a rejection');
    assert.equal(error.code, 'UNAVAILABLE');
    assert.match(error.message, /TLS/);
    assert.ok(ms < FAST, `took ${ms} ms`);
  });

  it('throws naming tls.rootCertPath when the file cannot be read', () => {
    assert.throws(
      () => new MilvusClient({ address: server.address, tls: { rootCertPath: '/nonexistent/ca.pem' } }),
      (err) => err.code === 'INVALID_ARGUMENT' && err.field === 'tls.rootCertPath' && /\/nonexistent\/ca\.pem/.test(err.message),
    );
  });

  it('throws naming tls.rootCert when it holds no certificate', () => {
    assert.throws(
      () => new MilvusClient({ address: server.address, tls: { rootCert: Buffer.from('not a pem') } }),
      (err) => err.code === 'INVALID_ARGUMENT' && err.field === 'tls.rootCert',
    );
  });
});

describe('TLS to a plaintext server [milvus 2.3.5]', { skip: plain.skip }, () => {
  it('rejects quickly, saying the server did not answer with TLS', async () => {
    const { server } = plain;
    const client = new MilvusClient({ address: server.address, ...ROOT, timeout: TIMEOUT, tls: { skipCertCheck: true } });
    const { ms, error } = await timed(client.showCollections());
    await client.closeConnection();
    assert.equal(error?.code, 'UNAVAILABLE');
    assert.match(error.message, /TLS handshake failed: .*plaintext port/);
    assert.ok(ms < FAST, `took ${ms} ms`);
  });
});

describe('mutual TLS [milvus 2.3.5]', { skip: mutual.skip }, () => {
  const { server } = mutual;
  const clients = [];
  const open = opener(clients);
  after(async () => {
    for (const c of clients) await c.closeConnection();
  });

  it('connects with the client certificate and key from files', async () => {
    const client = open(server.address, {
      tls: {
        rootCertPath: certPath(server, 'ca.pem'),
        certChainPath: certPath(server, 'client.pem'),
        privateKeyPath: certPath(server, 'client.key'),
      },
    });
    assert.equal((await client.connectPromise).connect_status, 1);
    assert.equal((await client.showCollections()).status.error_code, 'Success');
  });

  it('connects with the client certificate and key as Buffers', async () => {
    const client = open(server.address, {
      tls: {
        rootCert: certFile(server, 'ca.pem'),
        certChain: certFile(server, 'client.pem'),
        privateKey: certFile(server, 'client.key'),
        serverName: 'localhost',
      },
    });
    assert.equal((await client.getVersion()).status.error_code, 'Success');
  });

  it('rejects quickly without a client certificate, asking for tls.certChain and tls.privateKey', async () => {
    const client = open(server.address, { tls: { rootCertPath: certPath(server, 'ca.pem') } });
    const { ms, error } = await timed(client.showCollections());
    assert.equal(error?.code, 'UNAVAILABLE');
    assert.match(error.message, /requires a client certificate.*tls\.certChain.*tls\.privateKey/);
    assert.ok(ms < FAST, `took ${ms} ms`);
  });

  it('throws naming tls.certChain when only a private key is given', () => {
    assert.throws(
      () => new MilvusClient({ address: server.address, tls: { privateKeyPath: certPath(server, 'client.key') } }),
      (err) => err.code === 'INVALID_ARGUMENT' && err.field === 'tls.certChain',
    );
  });

  it('keeps the private key out of util.inspect(client) and JSON.stringify(client)', () => {
    const key = certFile(server, 'client.key').toString('utf8');
    const body = key.split('\n')[1];
    const client = open(server.address, {
      tls: { rootCert: certFile(server, 'ca.pem'), certChain: certFile(server, 'client.pem'), privateKey: key },
    });
    const shown = inspect(client, { showHidden: true, depth: 10 }) + JSON.stringify(client);
    assert.ok(!shown.includes(body), shown);
  });
});
