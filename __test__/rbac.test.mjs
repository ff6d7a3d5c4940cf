// Users, roles and privileges against a real Milvus 2.3.5 with authorization on, including
// proof that a grant is enforced: refused before, allowed once it reaches the proxy.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { MilvusClient, ROOT, authServer, eventually, uniqueName } from './helpers/auth.mjs';

const { server, skip } = authServer('plain');
const PASSWORD = 'Passw0rd-1';

describe('users, roles and privileges [milvus 2.3.5]', { skip }, () => {
  let root;
  const clients = [];
  const userClient = (username, password) => {
    const client = new MilvusClient({ address: server.address, username, password, timeout: 10_000 });
    clients.push(client);
    return client;
  };
  /** A user name Milvus accepts (letters, digits, underscores; starts with a letter). */
  const name = (prefix) => uniqueName(prefix).replace(/[^A-Za-z0-9_]/g, '_');

  before(() => {
    root = new MilvusClient({ address: server.address, ...ROOT, timeout: 15_000 });
  });
  after(async () => {
    for (const c of clients) await c.closeConnection();
    await root?.closeConnection();
  });

  it('creates, lists and deletes a user', async () => {
    const user = name('u');
    assert.equal((await root.createUser({ username: user, password: PASSWORD })).error_code, 'Success');
    assert.ok((await root.listUsers()).usernames.includes(user));
    assert.equal((await root.deleteUser({ username: user })).error_code, 'Success');
    const { status, usernames } = await root.listUsers();
    assert.equal(status.error_code, 'Success');
    assert.ok(!usernames.includes(user));
  });

  it('resolves with a failed status when the user already exists', async () => {
    const user = name('dup');
    await root.createUser({ username: user, password: PASSWORD });
    const status = await root.createUser({ username: user, password: PASSWORD });
    assert.notEqual(status.error_code, 'Success');
    await root.deleteUser({ username: user });
  });

  it('rejects createUser without a password with INVALID_ARGUMENT naming password', async () => {
    await assert.rejects(root.createUser({ username: name('np') }), (err) => err.code === 'INVALID_ARGUMENT' && err.field === 'password');
  });

  it('updateUser changes the password: the new one works and the old one is refused', async () => {
    const user = name('up');
    const next = 'N3w-Passw0rd';
    await root.createUser({ username: user, password: PASSWORD });
    const status = await root.updateUser({ username: user, oldPassword: PASSWORD, newPassword: next });
    assert.equal(status.error_code, 'Success');
    const res = await userClient(user, next).showCollections();
    assert.equal(res.status.error_code, 'Success');
    const old = await eventually(() => userClient(user, PASSWORD).showCollections(), (r) => r instanceof Error, 40_000);
    assert.equal(old.code, 'UNAUTHENTICATED');
    await root.deleteUser({ username: user });
  });

  it('updatePassword resolves with a failed status when the old password is wrong', async () => {
    const user = name('wp');
    await root.createUser({ username: user, password: PASSWORD });
    const status = await root.updatePassword({ username: user, oldPassword: 'not-the-password', newPassword: 'Whatever-123' });
    assert.notEqual(status.error_code, 'Success');
    assert.ok(!JSON.stringify(status).includes('not-the-password'));
    await root.deleteUser({ username: user });
  });

  it('rejects updateUser with a new password but no old one, naming oldPassword', async () => {
    await assert.rejects(root.updateUser({ username: 'x', newPassword: 'abcdefg1' }), (err) => err.code === 'INVALID_ARGUMENT' && err.field === 'oldPassword');
  });

  it('creates, finds, lists, describes and drops a role', async () => {
    const role = name('r');
    assert.equal((await root.createRole({ roleName: role })).error_code, 'Success');
    assert.deepEqual(await root.hasRole({ roleName: role }).then((r) => r.hasRole), true);
    const listed = await root.listRoles();
    assert.ok(listed.results.some((r) => r.role.name === role));
    assert.ok(listed.results.some((r) => r.role.name === 'admin'));
    const described = await root.describeRole({ roleName: role });
    assert.equal(described.status.error_code, 'Success');
    assert.deepEqual(described.results.map((r) => r.role.name), [role]);
    assert.equal((await root.dropRole({ roleName: role })).error_code, 'Success');
    assert.equal((await root.hasRole({ roleName: role })).hasRole, false);
  });

  it('adds a user to a role and removes them, as describeUser and describeRole show', async () => {
    const user = name('m');
    const role = name('mr');
    await root.createUser({ username: user, password: PASSWORD });
    await root.createRole({ roleName: role });
    assert.equal((await root.addUserToRole({ username: user, roleName: role })).error_code, 'Success');
    const described = await root.describeUser({ username: user });
    assert.equal(described.results[0].user.name, user);
    assert.deepEqual(described.results[0].roles.map((r) => r.name), [role]);
    const roleUsers = await root.describeRole({ roleName: role });
    assert.deepEqual(roleUsers.results[0].users, [{ name: user }]);
    assert.equal((await root.removeUserFromRole({ username: user, roleName: role })).error_code, 'Success');
    assert.deepEqual((await root.selectUser({ username: user })).results[0].roles, []);
    await root.dropRole({ roleName: role });
    await root.deleteUser({ username: user });
  });

  it('grants, lists, selects and revokes a privilege', async () => {
    const role = name('g');
    await root.createRole({ roleName: role });
    const grant = { roleName: role, object: 'Collection', objectName: '*', privilegeName: 'Search' };
    assert.equal((await root.grantPrivilege(grant)).error_code, 'Success');
    const all = await root.listGrants({ roleName: role });
    assert.equal(all.status.error_code, 'Success');
    assert.equal(all.entities.length, 1);
    const [entity] = all.entities;
    assert.equal(entity.role.name, role);
    assert.equal(entity.object.name, 'Collection');
    assert.equal(entity.object_name, '*');
    assert.equal(entity.grantor.privilege.name, 'Search');
    assert.equal(entity.grantor.user.name, 'root');
    assert.equal(entity.db_name, 'default');
    const selected = await root.selectGrant({ roleName: role, object: 'Collection', objectName: '*' });
    assert.equal(selected.entities.length, 1);
    assert.equal((await root.revokePrivilege(grant)).error_code, 'Success');
    assert.equal((await root.listGrants({ roleName: role })).entities.length, 0);
    await root.dropRole({ roleName: role });
  });

  it('refuses a query to a user without grants, and allows it once a grant reaches the proxy', async () => {
    const collection = name('rbac');
    const user = name('q');
    const role = name('qr');
    await root.createCollection({ collection_name: collection, dimension: 4, consistency_level: 'Strong' });
    await root.insert({ collection_name: collection, data: [{ id: 7, vector: [1, 0, 0, 0] }] });
    await root.createUser({ username: user, password: PASSWORD });
    await root.createRole({ roleName: role });
    await root.addUserToRole({ username: user, roleName: role });
    const client = userClient(user, PASSWORD);
    const query = () => client.query({ collection_name: collection, filter: 'id >= 0', output_fields: ['id'], consistency_level: 'Strong' });
    await assert.rejects(query(), (err) => err.code === 'PERMISSION_DENIED');
    await root.grantPrivilege({ roleName: role, object: 'Collection', objectName: collection, privilegeName: 'Query' });
    // Milvus 2.3.5 applies grants asynchronously (1 to 18 s): poll instead of sleeping.
    const started = Date.now();
    const res = await eventually(query, (r) => !(r instanceof Error), 40_000);
    assert.ok(!(res instanceof Error), `still refused after ${Date.now() - started} ms: ${res?.message}`);
    assert.equal(res.status.error_code, 'Success');
    assert.deepEqual(res.data.map((r) => String(r.id)), ['7']);
    await root.revokePrivilege({ roleName: role, object: 'Collection', objectName: collection, privilegeName: 'Query' });
    await root.removeUserFromRole({ username: user, roleName: role });
    await root.dropRole({ roleName: role });
    await root.deleteUser({ username: user });
    await root.dropCollection({ collection_name: collection });
  });

  it('rejects the privilege-group, V2 grant and alterRole calls with UNIMPLEMENTED on 2.3.5', async () => {
    const calls = {
      CreatePrivilegeGroup: () => root.createPrivilegeGroup({ group_name: 'g1' }),
      DropPrivilegeGroup: () => root.dropPrivilegeGroup({ group_name: 'g1' }),
      ListPrivilegeGroups: () => root.listPrivilegeGroups(),
      OperatePrivilegeGroup: () => root.addPrivilegesToGroup({ group_name: 'g1', privileges: ['Query'] }),
      OperatePrivilegeV2: () => root.grantPrivilegeV2({ role: 'public', privilege: 'Query', db_name: '*', collection_name: '*' }),
      AlterRole: () => root.alterRole({ roleName: 'public', description: 'x' }),
    };
    for (const [method, call] of Object.entries(calls)) {
      await assert.rejects(call(), (err) => {
        assert.equal(err.code, 'UNIMPLEMENTED', `${method}: ${err.message}`);
        assert.match(err.message, new RegExp(method));
        return true;
      });
    }
  });

  it('rejects a privilege-group change without privileges with INVALID_ARGUMENT naming privileges', async () => {
    await assert.rejects(root.removePrivilegesFromGroup({ group_name: 'g', privileges: [] }), (err) => err.code === 'INVALID_ARGUMENT' && err.field === 'privileges');
  });
});
