import { eventually, startStack, waitForStatus, type Stack } from './support/stack';

/**
 * Nova's formats and filters in the terms real clients parse them: gophercloud reads oslo datetime
 * columns with the layout `2006-01-02T15:04:05.000000` (no zone) and `created`/`updated` as RFC 3339;
 * openstackclient finds a service by `host` and `binary` and, from 2.53, updates it by its uuid.
 */
const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const ADMIN = 'admin:admin';
const LOCAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;
const ZULU = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const v = (minor: number) => ({ 'OpenStack-API-Version': `compute 2.${minor}` });
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: [{ name: 'fmt-1' }, { name: 'fmt-2' }] });
});
afterAll(async () => {
  await stack?.shutdown();
});

describe('when a client parses the times of a server, a service, a zone and a key pair', () => {
  it("then each field has Nova's layout for it", async () => {
    const r = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'times', flavorRef: '1', imageRef: IMAGE } },
    });
    const s = await waitForStatus(stack, r.body.server.id, ['ACTIVE']);
    expect(s['OS-SRV-USG:launched_at']).toMatch(LOCAL);
    expect(s['OS-SRV-USG:terminated_at']).toBeNull();
    expect(s.created).toMatch(ZULU);
    expect(s.updated).toMatch(ZULU);

    const services = await stack.api('GET', '/v2.1/os-services', { token: ADMIN });
    for (const svc of services.body.services) expect(svc.updated_at).toMatch(LOCAL);
    const zones = await stack.api('GET', '/v2.1/os-availability-zone/detail', { token: ADMIN });
    const host =
      zones.body.availabilityZoneInfo[0].hosts['fmt-1'] ?? zones.body.availabilityZoneInfo[0].hosts['fmt-2'];
    expect(host['nova-compute'].updated_at).toMatch(LOCAL);

    await stack.api('POST', '/v2.1/os-keypairs', { body: { keypair: { name: 'times' } } });
    const k = await stack.api('GET', '/v2.1/os-keypairs/times');
    expect(k.body.keypair.created_at).toMatch(LOCAL);
  });
});

describe('when an operator picks a compute service by host and binary (openstack compute service set)', () => {
  it('then the filters select exactly that service, and from 2.53 its uuid disables that host only', async () => {
    const one = await stack.api('GET', '/v2.1/os-services?host=fmt-2&binary=nova-compute', {
      token: ADMIN,
      headers: v(53),
    });
    expect(one.body.services).toHaveLength(1);
    expect(one.body.services[0]).toMatchObject({
      host: 'fmt-2',
      binary: 'nova-compute',
      status: 'enabled',
      forced_down: false,
    });
    expect(one.body.services[0].id).toMatch(UUID);
    expect(
      (await stack.api('GET', '/v2.1/os-services?binary=nova-scheduler', { token: ADMIN })).body.services,
    ).toEqual([]);
    expect((await stack.api('GET', '/v2.1/os-services?host=nope', { token: ADMIN })).body.services).toEqual(
      [],
    );

    const off = await stack.api('PUT', `/v2.1/os-services/${one.body.services[0].id}`, {
      token: ADMIN,
      headers: v(53),
      body: { status: 'disabled', disabled_reason: 'maintenance' },
    });
    expect(off.status).toBe(200);
    expect(off.body.service).toMatchObject({
      host: 'fmt-2',
      status: 'disabled',
      disabled_reason: 'maintenance',
    });
    const all = await stack.api('GET', '/v2.1/os-services', { token: ADMIN, headers: v(53) });
    const byHost = Object.fromEntries(all.body.services.map((s: any) => [s.host, s.status]));
    expect(byHost).toEqual({ 'fmt-1': 'enabled', 'fmt-2': 'disabled' });
    await stack.api('PUT', `/v2.1/os-services/${one.body.services[0].id}`, {
      token: ADMIN,
      headers: v(53),
      body: { status: 'enabled' },
    });

    // Before 2.53 ids are integers and forced_down appears from 2.11; the uuid route is not there.
    const old = await stack.api('GET', '/v2.1/os-services?host=fmt-2', { token: ADMIN, headers: v(10) });
    expect(Number.isInteger(old.body.services[0].id)).toBe(true);
    expect(old.body.services[0].forced_down).toBeUndefined();
    expect(
      (await stack.api('GET', '/v2.1/os-services?host=fmt-2', { token: ADMIN, headers: v(11) })).body
        .services[0].forced_down,
    ).toBe(false);
    expect(
      (
        await stack.api('PUT', `/v2.1/os-services/${one.body.services[0].id}`, {
          token: ADMIN,
          body: { status: 'disabled' },
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await stack.api('PUT', '/v2.1/os-services/fmt-2', {
          token: ADMIN,
          headers: v(53),
          body: { status: 'disabled' },
        })
      ).status,
    ).toBe(400);
  });
});

describe('when clients read flavors (openstack flavor show reads its extra specs) and filter lists', () => {
  it("then extra specs, minRam/minDisk, limit/marker and an unknown status behave as Nova's", async () => {
    const specs = await stack.api('GET', '/v2.1/flavors/1/os-extra_specs');
    expect(specs.status).toBe(200);
    expect(specs.body).toEqual({ extra_specs: {} });
    const key = await stack.api('GET', '/v2.1/flavors/1/os-extra_specs/hw:cpu_policy');
    expect(key.status).toBe(404);
    expect(key.body.itemNotFound.message).toBe('Flavor 1 has no extra specs with key hw:cpu_policy.');
    expect((await stack.api('GET', '/v2.1/flavors/99/os-extra_specs')).status).toBe(404);

    const big = await stack.api('GET', '/v2.1/flavors/detail?minRam=4096&minDisk=40');
    expect(big.body.flavors.map((f: any) => f.name)).toEqual(['m1.medium', 'm1.large', 'm1.xlarge']);
    expect((await stack.api('GET', '/v2.1/flavors?minRam=lots')).status).toBe(400);
    const first = await stack.api('GET', '/v2.1/flavors?limit=2');
    expect(first.body.flavors.map((f: any) => f.id)).toEqual(['1', '2']);
    expect(first.body.flavors_links[0].href).toMatch(/\/v2\.1\/flavors\?.*marker=2/);
    const next = await stack.api('GET', '/v2.1/flavors?limit=2&marker=2');
    expect(next.body.flavors.map((f: any) => f.id)).toEqual(['3', '4']);
    // is_public is an admin's filter (Nova ignores it for others); no flavor here is private.
    expect((await stack.api('GET', '/v2.1/flavors?is_public=false', { token: ADMIN })).body.flavors).toEqual(
      [],
    );
    expect((await stack.api('GET', '/v2.1/flavors?is_public=false')).body.flavors).toHaveLength(5);

    const none = await stack.api('GET', '/v2.1/servers?status=NOT-A-STATUS');
    expect(none.status).toBe(200);
    expect(none.body.servers).toEqual([]);
  });

  it('then os-stop and os-start take any value, as Nova reads none', async () => {
    const r = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'stop-any', flavorRef: '1', imageRef: IMAGE } },
    });
    const id = r.body.server.id;
    await waitForStatus(stack, id, ['ACTIVE']);
    expect((await stack.api('POST', `/v2.1/servers/${id}/action`, { body: { 'os-stop': {} } })).status).toBe(
      202,
    );
    await waitForStatus(stack, id, ['SHUTOFF']);
    expect((await stack.api('POST', `/v2.1/servers/${id}/action`, { body: { 'os-start': {} } })).status).toBe(
      202,
    );
    await waitForStatus(stack, id, ['ACTIVE']);
  });
});

describe("when an admin filters every project's servers by project and host, and reads quota sets at 2.1", () => {
  it("then tenant_id and host narrow the list, a member's host filter is ignored, and 2.1 shows the network quotas", async () => {
    const mk = async (token: string, name: string) => {
      const r = await stack.api('POST', '/v2.1/servers', {
        token,
        body: { server: { name, flavorRef: '1', imageRef: IMAGE } },
      });
      return waitForStatus(stack, r.body.server.id, ['ACTIVE'], token);
    };
    const red = await mk('ann:red', 'red-1');
    await mk('bo:blue', 'blue-1');
    const reds = await stack.api('GET', '/v2.1/servers/detail?all_tenants=1&tenant_id=red', { token: ADMIN });
    expect(reds.body.servers.map((s: any) => s.id)).toEqual([red.id]);
    const redHost = reds.body.servers[0]['OS-EXT-SRV-ATTR:host'];
    const onHost = await stack.api('GET', `/v2.1/servers/detail?all_tenants=1&host=${redHost}`, {
      token: ADMIN,
    });
    expect(onHost.body.servers.every((s: any) => s['OS-EXT-SRV-ATTR:host'] === redHost)).toBe(true);
    expect(onHost.body.servers.map((s: any) => s.id)).toContain(red.id);
    const other = redHost === 'fmt-1' ? 'fmt-2' : 'fmt-1';
    const member = await stack.api('GET', `/v2.1/servers?host=${other}`, { token: 'ann:red' });
    expect(member.body.servers.map((s: any) => s.id)).toEqual([red.id]);

    const q21 = await stack.api('GET', '/v2.1/os-quota-sets/red', { token: ADMIN });
    expect(q21.body.quota_set).toMatchObject({
      floating_ips: 10,
      fixed_ips: -1,
      security_groups: 10,
      security_group_rules: 20,
    });
    const q236 = await stack.api('GET', '/v2.1/os-quota-sets/red', { token: ADMIN, headers: v(36) });
    expect(q236.body.quota_set.floating_ips).toBeUndefined();
  });
});

describe('when a client renames a server and edits its metadata (openstack server set --name / --property)', () => {
  it("then the change shows at once, with Nova's validation and answers", async () => {
    const r = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'before', flavorRef: '1', imageRef: IMAGE, metadata: { a: '1' } } },
    });
    const id = r.body.server.id;
    await waitForStatus(stack, id, ['ACTIVE']);
    const renamed = await stack.api('PUT', `/v2.1/servers/${id}`, { body: { server: { name: 'after' } } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.server).toMatchObject({ id, name: 'after', status: 'ACTIVE' });
    expect((await stack.api('GET', `/v2.1/servers/${id}`)).body.server.name).toBe('after');
    expect(
      (await stack.api('PUT', `/v2.1/servers/${id}`, { body: { server: { description: 'x' } } })).status,
    ).toBe(400);
    const described = await stack.api('PUT', `/v2.1/servers/${id}`, {
      headers: v(19),
      body: { server: { description: 'web' } },
    });
    expect(described.body.server.description).toBe('web');
    expect(
      (await stack.api('PUT', `/v2.1/servers/${id}`, { body: { server: { name: ' padded' } } })).status,
    ).toBe(400);

    const base = `/v2.1/servers/${id}/metadata`;
    expect((await stack.api('GET', base)).body).toEqual({ metadata: { a: '1' } });
    expect((await stack.api('POST', base, { body: { metadata: { b: '2' } } })).body).toEqual({
      metadata: { a: '1', b: '2' },
    });
    expect((await stack.api('PUT', base, { body: { metadata: { c: '3' } } })).body).toEqual({
      metadata: { c: '3' },
    });
    expect((await stack.api('PUT', `${base}/d`, { body: { meta: { d: '4' } } })).body).toEqual({
      meta: { d: '4' },
    });
    expect((await stack.api('GET', `${base}/d`)).body).toEqual({ meta: { d: '4' } });
    const mismatch = await stack.api('PUT', `${base}/d`, { body: { meta: { e: '5' } } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.badRequest.message).toBe('Request body and URI mismatch');
    expect((await stack.api('DELETE', `${base}/d`)).status).toBe(204);
    const gone = await stack.api('GET', `${base}/d`);
    expect(gone.status).toBe(404);
    expect(gone.body.itemNotFound.message).toBe('Metadata item was not found');
    const tooMany = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, 'v']));
    expect((await stack.api('PUT', base, { body: { metadata: tooMany } })).status).toBe(403);
    expect((await stack.api('GET', base)).body).toEqual({ metadata: { c: '3' } });
    // Another project's server is not there for them.
    expect((await stack.api('GET', base, { token: 'eve:other' })).status).toBe(404);
    expect(
      (await stack.api('POST', base, { token: 'eve:other', body: { metadata: { x: 'y' } } })).status,
    ).toBe(404);
  });

  it('then a server still building refuses a metadata change (409) but can be renamed', async () => {
    for (const d of Object.values(stack.drivers)) d.spawnLatencyMs = 4000;
    try {
      const r = await stack.api('POST', '/v2.1/servers', {
        body: { server: { name: 'slow', flavorRef: '1', imageRef: IMAGE } },
      });
      const id = r.body.server.id;
      const busy = await eventually(
        async () => {
          const m = await stack.api('POST', `/v2.1/servers/${id}/metadata`, {
            body: { metadata: { k: 'v' } },
          });
          return m.status === 409 ? m : undefined;
        },
        10_000,
        'a 409 while building',
      );
      expect(busy.body.conflictingRequest.message).toContain(`Cannot 'update`);
      await waitForStatus(stack, id, ['ACTIVE']);
      expect(
        (await stack.api('POST', `/v2.1/servers/${id}/metadata`, { body: { metadata: { k: 'v' } } })).status,
      ).toBe(200);
    } finally {
      for (const d of Object.values(stack.drivers)) d.spawnLatencyMs = 0;
    }
  });
});
