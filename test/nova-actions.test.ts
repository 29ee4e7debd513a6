import { eventually, startStack, waitForStatus, type Stack } from './support/stack';

/**
 * Nova's server actions, tags, flavors and usage in the terms Tempest and the clients check them:
 * status codes, body keys per microversion, and state changes a later read shows.
 */
const CIRROS = '70a599e0-31e7-49b7-b260-868f441e862b';
const UBUNTU = '155d900f-4e14-4e4c-a73d-069cbf4541e6'; // needs 1 GB of RAM and 10 GB of disk
const ADMIN = 'admin:admin';
const OTHER = 'bob:other';
const v = (minor: number) => ({ 'OpenStack-API-Version': `compute 2.${minor}` });
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: [{ name: 'act-1' }, { name: 'act-2' }] });
});
afterAll(async () => {
  await stack?.shutdown();
});

async function activeServer(name: string, flavorRef = '1', extra: Record<string, unknown> = {}, minor = 1) {
  const r = await stack.api('POST', '/v2.1/servers', {
    body: { server: { name, flavorRef, imageRef: CIRROS, ...extra } },
    headers: v(minor),
  });
  expect(r.status).toBe(202);
  await waitForStatus(stack, r.body.server.id, ['ACTIVE']);
  return r.body.server.id as string;
}

const action = (id: string, body: unknown, token?: string, minor = 1) =>
  stack.api('POST', `/v2.1/servers/${id}/action`, { body, token, headers: v(minor) });

describe('when a client tags a server (2.26)', () => {
  it('then tags are kept, shown, filtered and checked like Nova', async () => {
    const id = await activeServer('tagged', '1', { tags: ['blue'], networks: 'auto' }, 52);
    const shown = await stack.api('GET', `/v2.1/servers/${id}`, { headers: v(26) });
    expect(shown.body.server.tags).toEqual(['blue']);
    expect((await stack.api('GET', `/v2.1/servers/${id}`)).body.server.tags).toBeUndefined();
    // Before 2.26 the routes do not exist; before 2.52 a create may not carry tags.
    expect((await stack.api('GET', `/v2.1/servers/${id}/tags`)).status).toBe(404);
    const early = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'x', flavorRef: '1', imageRef: CIRROS, tags: ['a'], networks: 'auto' } },
      headers: v(51),
    });
    expect(early.status).toBe(400);

    const put = await stack.api('PUT', `/v2.1/servers/${id}/tags/red`, { headers: v(26) });
    expect(put.status).toBe(201);
    expect(put.headers.get('location')).toMatch(new RegExp(`/servers/${id}/tags/red$`));
    expect((await stack.api('PUT', `/v2.1/servers/${id}/tags/red`, { headers: v(26) })).status).toBe(204);
    expect((await stack.api('GET', `/v2.1/servers/${id}/tags/red`, { headers: v(26) })).status).toBe(204);
    expect((await stack.api('GET', `/v2.1/servers/${id}/tags/green`, { headers: v(26) })).status).toBe(404);
    expect((await stack.api('PUT', `/v2.1/servers/${id}/tags/a,b`, { headers: v(26) })).status).toBe(400);
    const listed = await stack.api('GET', '/v2.1/servers?tags=blue,red', { headers: v(26) });
    expect(listed.body.servers.map((s: { id: string }) => s.id)).toEqual([id]);
    expect(
      (await stack.api('GET', '/v2.1/servers?not-tags-any=red', { headers: v(26) })).body.servers,
    ).not.toEqual(expect.arrayContaining([expect.objectContaining({ id })]));
    const replaced = await stack.api('PUT', `/v2.1/servers/${id}/tags`, {
      body: { tags: ['x', 'y', 'x'] },
      headers: v(26),
    });
    expect(replaced.body).toEqual({ tags: ['x', 'y'] });
    const tooMany = await stack.api('PUT', `/v2.1/servers/${id}/tags`, {
      body: { tags: Array.from({ length: 51 }, (_, i) => `t${i}`) },
      headers: v(26),
    });
    expect(tooMany.status).toBe(400);
    expect((await stack.api('DELETE', `/v2.1/servers/${id}/tags`, { headers: v(26) })).status).toBe(204);
    expect((await stack.api('GET', `/v2.1/servers/${id}/tags`, { headers: v(26) })).body).toEqual({
      tags: [],
    });
  });
});

describe('when a server is locked', () => {
  it("then its owner's actions and metadata changes are 409 until unlocked; an admin's lock is the admin's to lift", async () => {
    const id = await activeServer('locked');
    expect((await action(id, { lock: null })).status).toBe(202);
    expect((await stack.api('GET', `/v2.1/servers/${id}`, { headers: v(9) })).body.server.locked).toBe(true);
    const refused = await action(id, { reboot: { type: 'SOFT' } });
    expect(refused.status).toBe(409);
    expect(refused.body.conflictingRequest.message).toBe(`Instance ${id} is locked`);
    const meta = await stack.api('POST', `/v2.1/servers/${id}/metadata`, { body: { metadata: { a: '1' } } });
    expect(meta.status).toBe(409);
    expect((await stack.api('DELETE', `/v2.1/servers/${id}`)).status).toBe(409);
    expect((await action(id, { unlock: null })).status).toBe(202);
    expect((await stack.api('GET', `/v2.1/servers/${id}`, { headers: v(9) })).body.server.locked).toBe(false);

    expect((await action(id, { lock: null }, ADMIN)).status).toBe(202);
    expect((await action(id, { unlock: null })).status).toBe(403);
    expect((await action(id, { unlock: null }, ADMIN)).status).toBe(202);
    expect((await action(id, { reboot: { type: 'SOFT' } })).status).toBe(202);
  });
});

describe('when an admin resets a server to error, and a member uses the admin-only and unoffered actions', () => {
  it("then the state is set at once, the delete still cleans up, and each action answers Nova's code", async () => {
    const id = await activeServer('reset');
    expect((await action(id, { 'os-resetState': { state: 'error' } })).status).toBe(403);
    expect((await action(id, { 'os-resetState': { state: 'paused' } }, ADMIN)).status).toBe(400);
    expect((await action(id, { 'os-resetState': { state: 'error' } }, ADMIN)).status).toBe(202);
    const s = (await stack.api('GET', `/v2.1/servers/${id}`)).body.server;
    expect(s.status).toBe('ERROR');
    expect(s['OS-EXT-STS:task_state']).toBeNull();
    expect((await action(id, { injectNetworkInfo: null }, ADMIN)).status).toBe(202);

    const restore = await action(id, { restore: null });
    expect(restore.status).toBe(409);
    const missing = '6f3c7c4e-1b2a-4c3d-8e9f-0a1b2c3d4e5f';
    for (const body of [
      { migrate: null },
      { restore: null },
      { forceDelete: null },
      { rebuild: { imageRef: CIRROS } },
    ])
      expect((await action(missing, body, ADMIN)).status).toBe(404);
    const shelve = await action(id, { shelve: null });
    expect(shelve.status).toBe(400);
    expect(shelve.body.badRequest.message).toBe('The action shelve is not offered by this cloud.');

    expect((await action(id, { forceDelete: null })).status).toBe(202);
    await eventually(async () =>
      (await stack.api('GET', `/v2.1/servers/${id}`)).status === 404 ? true : undefined,
    );
  });
});

describe('when a client rebuilds a server', () => {
  it('then it is spawned again from the new image (checked like a create), renamed, and a stopped one stays stopped', async () => {
    const id = await activeServer('rebuild-me', '2');
    const unknown = await action(id, { rebuild: { imageRef: 'ffffffff-0000-4000-8000-000000000000' } });
    expect(unknown.status).toBe(400);
    const r = await action(id, { rebuild: { imageRef: UBUNTU, name: 'rebuilt', metadata: { role: 'web' } } });
    expect(r.status).toBe(202);
    // Nova's update view before 2.75: no states, zone or key; a new admin password.
    expect(r.body.server).toMatchObject({ id, name: 'rebuilt', metadata: { role: 'web' } });
    expect(r.body.server.image.id).toBe(UBUNTU);
    expect(typeof r.body.server.adminPass).toBe('string');
    expect(r.body.server['OS-EXT-STS:vm_state']).toBeUndefined();
    const after = await waitForStatus(stack, id, ['ACTIVE']);
    expect(after.image.id).toBe(UBUNTU);
    const driverSpec = Object.values(stack.drivers)
      .map((d) => d.instances.get(id)?.spec)
      .find(Boolean);
    expect(driverSpec?.imageRef).toBe(UBUNTU);
    const actions = await stack.api('GET', `/v2.1/servers/${id}/os-instance-actions`);
    expect(actions.body.instanceActions.map((a: { action: string }) => a.action)).toContain('rebuild');

    // A tiny flavor cannot take ubuntu: the create check refuses the rebuild, nothing changes.
    const small = await activeServer('small');
    const refused = await action(small, { rebuild: { imageRef: UBUNTU } });
    expect(refused.status).toBe(400);
    expect((await stack.api('GET', `/v2.1/servers/${small}`)).body.server.status).toBe('ACTIVE');

    expect((await action(small, { 'os-stop': null })).status).toBe(202);
    await waitForStatus(stack, small, ['SHUTOFF']);
    expect((await action(small, { rebuild: { imageRef: CIRROS } })).status).toBe(202);
    await eventually(async () => {
      const s = (await stack.api('GET', `/v2.1/servers/${small}`)).body.server;
      return s.status === 'SHUTOFF' && s['OS-EXT-STS:task_state'] === null ? s : undefined;
    });
  });
});

describe('when an admin manages flavors', () => {
  it('then a private flavor is seen and used only by projects given access, with its extra specs', async () => {
    const created = await stack.api('POST', '/v2.1/flavors', {
      token: ADMIN,
      body: {
        flavor: {
          name: 'priv',
          ram: '256',
          vcpus: 1,
          disk: 1,
          id: 4242,
          'os-flavor-access:is_public': 'False',
        },
      },
    });
    expect(created.status).toBe(200);
    expect(created.body.flavor).toMatchObject({ id: '4242', ram: 256, 'os-flavor-access:is_public': false });
    const dup = await stack.api('POST', '/v2.1/flavors', {
      token: ADMIN,
      body: { flavor: { name: 'priv', ram: 256, vcpus: 1, disk: 1 } },
    });
    expect(dup.status).toBe(409);
    expect(
      (
        await stack.api('POST', '/v2.1/flavors', {
          body: { flavor: { name: 'x', ram: 1, vcpus: 1, disk: 0 } },
        })
      ).status,
    ).toBe(403);

    expect((await stack.api('GET', '/v2.1/flavors/4242')).status).toBe(404);
    const boot = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'p', flavorRef: '4242', imageRef: CIRROS } },
    });
    expect(boot.status).toBe(400);
    const shared = await stack.api('POST', '/v2.1/flavors/4242/action', {
      token: ADMIN,
      body: { addTenantAccess: { tenant: 'demo' } },
    });
    expect(shared.body).toEqual({ flavor_access: [{ flavor_id: '4242', tenant_id: 'demo' }] });
    expect(
      (
        await stack.api('POST', '/v2.1/flavors/4242/action', {
          token: ADMIN,
          body: { addTenantAccess: { tenant: 'demo' } },
        })
      ).status,
    ).toBe(409);
    expect((await stack.api('GET', '/v2.1/flavors')).body.flavors.map((f: { id: string }) => f.id)).toContain(
      '4242',
    );
    expect(
      (await stack.api('GET', '/v2.1/flavors', { token: OTHER })).body.flavors.map(
        (f: { id: string }) => f.id,
      ),
    ).not.toContain('4242');
    const allowed = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'p', flavorRef: '4242', imageRef: CIRROS } },
    });
    expect(allowed.status).toBe(202);
    const s = await waitForStatus(stack, allowed.body.server.id, ['ACTIVE']);
    expect(s.flavor.id).toBe('4242');

    const specs = await stack.api('POST', '/v2.1/flavors/4242/os-extra_specs', {
      token: ADMIN,
      body: { extra_specs: { 'hw:cpu_policy': 'dedicated' } },
    });
    expect(specs.body).toEqual({ extra_specs: { 'hw:cpu_policy': 'dedicated' } });
    expect((await stack.api('GET', '/v2.1/flavors/4242/os-extra_specs/hw:cpu_policy')).body).toEqual({
      'hw:cpu_policy': 'dedicated',
    });
    const mismatch = await stack.api('PUT', '/v2.1/flavors/4242/os-extra_specs/a', {
      token: ADMIN,
      body: { b: '1' },
    });
    expect(mismatch.status).toBe(400);
    expect(
      (await stack.api('DELETE', '/v2.1/flavors/4242/os-extra_specs/hw:cpu_policy', { token: ADMIN })).status,
    ).toBe(200);
    expect(
      (await stack.api('DELETE', '/v2.1/flavors/4242/os-extra_specs/hw:cpu_policy', { token: ADMIN })).status,
    ).toBe(404);

    expect((await stack.api('DELETE', '/v2.1/flavors/4242', { token: ADMIN })).status).toBe(202);
    expect((await stack.api('GET', '/v2.1/flavors/4242', { token: ADMIN })).status).toBe(404);
    // The server keeps the flavor it was built with.
    expect((await stack.api('GET', `/v2.1/servers/${allowed.body.server.id}`)).body.server.flavor.id).toBe(
      '4242',
    );
  });
});

describe("when an admin reads a project's usage, and a client reads addresses, times and quotas", () => {
  it("then usage counts the hours of every server in the period, and the rest answers in Nova's shapes", async () => {
    const id = await activeServer('usage');
    const start = new Date(Date.now() - 3_600_000).toISOString().slice(0, 19);
    const end = new Date(Date.now() + 3_600_000).toISOString().slice(0, 19);
    const all = await stack.api('GET', `/v2.1/os-simple-tenant-usage?start=${start}&end=${end}&detailed=1`, {
      token: ADMIN,
    });
    expect(all.status).toBe(200);
    const demo = all.body.tenant_usages.find((u: { tenant_id: string }) => u.tenant_id === 'demo');
    expect(demo.total_hours).toBeGreaterThan(0);
    expect(demo.server_usages.map((u: { instance_id: string }) => u.instance_id)).toContain(id);
    const mine = await stack.api('GET', `/v2.1/os-simple-tenant-usage/demo?start=${start}&end=${end}`);
    expect(
      mine.body.tenant_usage.server_usages.find((u: { instance_id: string }) => u.instance_id === id),
    ).toMatchObject({
      flavor: 'm1.tiny',
      vcpus: 1,
      memory_mb: 512,
      state: 'active',
    });
    expect((await stack.api('GET', `/v2.1/os-simple-tenant-usage/demo`, { token: OTHER })).status).toBe(403);
    expect((await stack.api('GET', '/v2.1/os-simple-tenant-usage')).status).toBe(403);
    expect(
      (await stack.api('GET', `/v2.1/os-simple-tenant-usage/demo?start=${end}&end=${start}`)).status,
    ).toBe(400);

    const ips = await stack.api('GET', `/v2.1/servers/${id}/ips`);
    expect(ips.body.addresses.private[0]).toEqual({ version: 4, addr: expect.any(String) });
    const addr = ips.body.addresses.private[0].addr;
    expect((await stack.api('GET', `/v2.1/servers?ip=${addr.replace(/\./g, '\\.')}$`)).body.servers).toEqual([
      expect.objectContaining({ id }),
    ]);
    expect((await stack.api('GET', `/v2.1/servers/${id}/ips/nowhere`)).status).toBe(404);
    expect((await stack.api('GET', '/v2.1/servers?changes-since=2011/01/01')).status).toBe(400);
    // Unknown query parameters: ignored before 2.75 (servers) and 2.102 (every GET), then a 400 —
    // after identity, so a stranger still gets the 401.
    expect((await stack.api('GET', '/v2.1/servers?colour=red')).status).toBe(200);
    expect((await stack.api('GET', '/v2.1/servers?colour=red', { headers: v(75) })).status).toBe(400);
    expect((await stack.api('GET', '/v2.1/flavors?colour=red', { headers: v(101) })).status).toBe(200);
    expect((await stack.api('GET', '/v2.1/flavors?colour=red', { headers: v(102) })).status).toBe(400);
    expect((await stack.api('GET', '/v2.1/flavors?name=tiny', { headers: v(102) })).body.flavors).toEqual([
      expect.objectContaining({ name: 'm1.tiny' }),
    ]);
    expect((await stack.api('GET', '/v2.1/os-keypairs?user_id=x', { headers: v(102) })).status).not.toBe(400);
    expect(
      (await stack.api('GET', '/v2.1/flavors?colour=red', { headers: v(102), token: null })).status,
    ).toBe(401);
    expect((await stack.api('GET', `/v2.1/servers/${id}/os-server-password`)).body).toEqual({ password: '' });

    const updated = await stack.api('PUT', `/v2.1/servers/${id}`, {
      body: { server: { accessIPv6: '0000:0000:0000:0000:0000:babe:220.12.22.2' } },
    });
    expect(updated.body.server.accessIPv6).toBe('::babe:dc0c:1602');
    expect(updated.body.server['OS-EXT-STS:vm_state']).toBeUndefined();

    await stack.api('PUT', '/v2.1/os-quota-sets/demo', { token: ADMIN, body: { quota_set: { ram: 5120 } } });
    expect((await stack.api('GET', '/v2.1/os-quota-sets/demo')).body.quota_set.ram).toBe(5120);
    expect((await stack.api('DELETE', '/v2.1/os-quota-sets/demo', { token: ADMIN })).status).toBe(202);
    expect((await stack.api('GET', '/v2.1/os-quota-sets/demo')).body.quota_set.ram).toBe(51200);
  });
});

describe('when an admin changes the default quota class', () => {
  it("then projects without limits of their own follow it, new and existing, and a project's own limit stays", async () => {
    // An existing entity (demo created servers above) and one with an own limit.
    await stack.api('PUT', '/v2.1/os-quota-sets/owned', {
      token: ADMIN,
      body: { quota_set: { instances: 3 } },
    });
    const before = await stack.api('GET', '/v2.1/os-quota-class-sets/default', { token: ADMIN });
    expect(before.body.quota_class_set).toMatchObject({ id: 'default', instances: 10, floating_ips: 10 });
    expect((await stack.api('GET', '/v2.1/os-quota-class-sets/default')).status).toBe(403);
    const put = await stack.api('PUT', '/v2.1/os-quota-class-sets/default', {
      token: ADMIN,
      body: { quota_class_set: { instances: 15, floating_ips: 20 } },
    });
    expect(put.status).toBe(200);
    expect(put.body.quota_class_set).toMatchObject({ instances: 15, floating_ips: 20 });
    expect(put.body.quota_class_set.id).toBeUndefined();
    expect(
      (await stack.api('GET', '/v2.1/os-quota-sets/brand-new', { token: ADMIN })).body.quota_set.instances,
    ).toBe(15);
    expect((await stack.api('GET', '/v2.1/os-quota-sets/demo/defaults')).body.quota_set.instances).toBe(15);
    await eventually(async () =>
      (await stack.api('GET', '/v2.1/os-quota-sets/demo')).body.quota_set.instances === 15 ? true : undefined,
    );
    expect(
      (await stack.api('GET', '/v2.1/os-quota-sets/owned', { token: ADMIN })).body.quota_set.instances,
    ).toBe(3);
    await stack.api('PUT', '/v2.1/os-quota-class-sets/default', {
      token: ADMIN,
      body: { quota_class_set: { instances: 10 } },
    });
  });
});
