import { temporal } from '@temporalio/proto';
import { exactUsedAddresses, listPorts, usedAddresses } from '../extensions/networks/client';
import { ipamWorkflowId, USED_SLACK } from '../extensions/networks/messages';
import { eventually, startStack, waitForStatus, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const PRIVATE = '3e5b1f0a-8c57-4d1e-9f2a-6b0d4c3a2e10';
const ADMIN = 'admin:admin';
const v = (minor: number) => ({ 'OpenStack-API-Version': `compute 2.${minor}` });
let stack: Stack;

// n-bad has the most free RAM, so the spread weigher tries it first; it fails when told to.
beforeAll(async () => {
  stack = await startStack({
    hosts: [
      { name: 'n-bad', driver: { inventory: { ram: 65536 } } },
      { name: 'n-ok', driver: { inventory: { ram: 32768 } } },
    ],
  });
});
afterAll(async () => {
  await stack?.shutdown();
});

const net = (method: string, p: string, o: { token?: string; body?: unknown } = {}) =>
  stack.api(method, `/network${p}`, o);

async function create(server: Record<string, unknown>, headers: Record<string, string> = {}, token?: string) {
  return stack.api('POST', '/v2.1/servers', {
    token,
    headers,
    body: { server: { flavorRef: '1', imageRef: IMAGE, ...server } },
  });
}

async function activeServer(name: string, extra: Record<string, unknown> = {}, token?: string) {
  const r = await create({ name, ...extra }, {}, token);
  expect(r.status).toBe(202);
  const s = await waitForStatus(stack, r.body.server.id, ['ACTIVE', 'ERROR'], token);
  expect(s.status).toBe('ACTIVE');
  return s;
}

/** Every port a network holds, by server. */
async function portsByServer(networkId: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const p of await listPorts(stack.client, networkId))
    (out[p.device_id] ??= []).push(p.fixed_ips[0].ip_address);
  return out;
}

describe('when a client reads the Neutron API (as openstack network list / server create --network NAME do)', () => {
  it('then discovery needs no token, reads do, and networks are found by name with their subnet', async () => {
    const root = await stack.api('GET', '/network', { token: null });
    expect(root.status).toBe(200);
    expect(root.body.versions[0]).toMatchObject({ id: 'v2.0', status: 'CURRENT' });
    expect((await net('GET', '/v2.0/networks', { token: undefined })).status).toBe(200);
    expect((await stack.api('GET', '/network/v2.0/networks', { token: null })).status).toBe(401);
    const byName = await net('GET', '/v2.0/networks?name=private');
    expect(byName.body.networks).toHaveLength(1);
    expect(byName.body.networks[0]).toMatchObject({ id: PRIVATE, shared: true, status: 'ACTIVE' });
    expect((await net('GET', '/v2.0/networks?name=nope')).body.networks).toEqual([]);
    // A client first tries the name as an id: a 404, then the name filter.
    expect((await net('GET', '/v2.0/networks/private')).status).toBe(404);
    const [subnetId] = byName.body.networks[0].subnets;
    const subnet = await net('GET', `/v2.0/subnets/${subnetId}`);
    expect(subnet.body.subnet).toMatchObject({
      network_id: PRIVATE,
      cidr: '10.0.0.0/16',
      gateway_ip: '10.0.0.1',
    });
    expect((await net('GET', '/v2.0/floatingips')).body.floatingips).toEqual([]);
    // As in Neutron: a member makes networks of their own project; a shared one is an admin's.
    expect(
      (await net('POST', '/v2.0/networks', { body: { network: { name: 'ours', shared: true } } })).status,
    ).toBe(403);
    const mine = await net('POST', '/v2.0/networks', { body: { network: { name: 'mine' } } });
    expect(mine.status).toBe(201);
    expect(mine.body.network).toMatchObject({ name: 'mine', shared: false });
    expect((await net('DELETE', `/v2.0/networks/${mine.body.network.id}`)).status).toBe(204);
  });
});

describe('when a server is created without networks on a cloud with one shared network', () => {
  it('then it gets an address from the default network, shown in its view, its port and its guest', async () => {
    const s = await activeServer('addr');
    expect(Object.keys(s.addresses)).toEqual(['private']);
    const [addr] = s.addresses.private;
    expect(addr).toMatchObject({ version: 4, 'OS-EXT-IPS:type': 'fixed' });
    expect(addr.addr).toMatch(/^10\.0\.\d+\.\d+$/);
    expect(addr['OS-EXT-IPS-MAC:mac_addr']).toMatch(/^fa:16:3e(:[0-9a-f]{2}){3}$/);

    const ports = await net('GET', `/v2.0/ports?device_id=${s.id}`);
    expect(ports.status).toBe(200);
    expect(ports.body.ports).toHaveLength(1);
    expect(ports.body.ports[0]).toMatchObject({
      device_id: s.id,
      network_id: PRIVATE,
      mac_address: addr['OS-EXT-IPS-MAC:mac_addr'],
      fixed_ips: [{ ip_address: addr.addr }],
    });
    const guest = Object.values(stack.drivers)
      .map((d) => d.instances.get(s.id)?.spec.guest)
      .find(Boolean);
    expect(guest?.networks).toMatchObject({ interfaces: [{ address: addr.addr, network: 'private' }] });
    // Another project sees neither the port nor, through Nova, the server.
    expect((await net('GET', `/v2.0/ports?device_id=${s.id}`, { token: 'eve:other' })).body.ports).toEqual(
      [],
    );

    expect((await stack.api('DELETE', `/v2.1/servers/${s.id}`)).status).toBe(204);
    await eventually(
      async () => ((await portsByServer(PRIVATE))[s.id] ? undefined : true),
      30_000,
      'the port to go',
    );
  }, 60_000);
});

describe('when a create names its networks', () => {
  it('then 2.37 requires the field, "none" builds without an address, and a bad entry is a 400', async () => {
    const missing = await create({ name: 'v237' }, v(37));
    expect(missing.status).toBe(400);
    expect(missing.body.badRequest.message).toContain("'networks' is a required property");
    const early = await create({ name: 'v21', networks: 'auto' });
    expect(early.status).toBe(400);
    expect(early.body.badRequest.message).toContain("is not of type 'array'");

    const none = await create({ name: 'none', networks: 'none' }, v(37));
    expect(none.status).toBe(202);
    const s = await waitForStatus(stack, none.body.server.id, ['ACTIVE', 'ERROR']);
    expect(s.status).toBe('ACTIVE');
    expect(s.addresses).toEqual({});
    expect((await portsByServer(PRIVATE))[s.id]).toBeUndefined();

    const unknown = await create({ name: 'x', networks: [{ uuid: '00000000-0000-4000-8000-000000000000' }] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.badRequest.message).toBe(
      'Network 00000000-0000-4000-8000-000000000000 could not be found.',
    );
    const port = await create({ name: 'x', networks: [{ port: '00000000-0000-4000-8000-000000000001' }] });
    expect(port.status).toBe(400);
    expect(port.body.badRequest.message).toContain(
      'Port 00000000-0000-4000-8000-000000000001 could not be found.',
    );
  }, 60_000);
});

describe('when an admin creates a small network and servers fill it', () => {
  let tiny: string;
  beforeAll(async () => {
    // Project demo's own network, so demo's "auto" becomes ambiguous only where the test says so.
    const n = await net('POST', '/v2.0/networks', {
      token: ADMIN,
      body: { network: { name: 'tiny', project_id: 'demo' } },
    });
    expect(n.status).toBe(201);
    tiny = n.body.network.id;
  });

  it('then a network without a subnet is refused, and with a /29 it holds exactly five servers', async () => {
    const bare = await create({ name: 'bare', networks: [{ uuid: tiny }] });
    expect(bare.status).toBe(400);
    expect(bare.body.badRequest.message).toBe(
      `Network ${tiny} requires a subnet in order to boot instances on.`,
    );
    // Only the network's project (or an admin) makes its subnets: another project does not even see it.
    expect(
      (
        await net('POST', '/v2.0/subnets', {
          token: 'bob:other',
          body: { subnet: { network_id: tiny, cidr: '192.168.7.0/29', ip_version: 4 } },
        })
      ).status,
    ).toBe(404);
    const sub = await net('POST', '/v2.0/subnets', {
      token: ADMIN,
      body: { subnet: { network_id: tiny, cidr: '192.168.7.0/29', ip_version: 4, name: 'tiny-sub' } },
    });
    expect(sub.status).toBe(201);
    expect(sub.body.subnet).toMatchObject({
      gateway_ip: '192.168.7.1',
      allocation_pools: [{ start: '192.168.7.2', end: '192.168.7.6' }],
    });

    // Two networks for demo now: "auto" is ambiguous, as in Nova.
    const ambiguous = await create({ name: 'amb' });
    expect(ambiguous.status).toBe(409);
    expect(ambiguous.body.conflictingRequest.message).toContain('Multiple possible networks found');

    const taken = await activeServer('fixed', { networks: [{ uuid: tiny, fixed_ip: '192.168.7.4' }] });
    expect(taken.addresses.tiny[0].addr).toBe('192.168.7.4');
    const again = await create({ name: 'again', networks: [{ uuid: tiny, fixed_ip: '192.168.7.4' }] });
    expect(again.status).toBe(400);
    expect(again.body.badRequest.message).toBe('Fixed IP address 192.168.7.4 is already in use.');

    const before = await portsByServer(tiny);
    const tooMany = await create({ name: 'many', networks: [{ uuid: tiny }], min_count: 5 });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.conflictingRequest.message).toBe(
      `No more IP addresses available on network ${tiny}.`,
    );
    expect(await portsByServer(tiny)).toEqual(before);

    const four = await create({
      name: 'four',
      networks: [{ uuid: tiny }],
      min_count: 4,
      return_reservation_id: true,
    });
    expect(four.status).toBe(202);
    const servers = await eventually(
      async () => {
        const r = await stack.api('GET', `/v2.1/servers/detail?reservation_id=${four.body.reservation_id}`);
        const list = r.body.servers ?? [];
        return list.length === 4 && list.every((x: any) => x.status === 'ACTIVE') ? list : undefined;
      },
      60_000,
      'four servers ACTIVE',
    );
    const ips = servers.map((x: any) => x.addresses.tiny[0].addr).sort();
    expect(ips).toEqual(['192.168.7.2', '192.168.7.3', '192.168.7.5', '192.168.7.6']);
    const held = await portsByServer(tiny);
    expect(Object.values(held).flat().sort()).toEqual([...ips, '192.168.7.4'].sort());

    // Full now: one more is refused before it starts.
    const full = await create({ name: 'full', networks: [{ uuid: tiny }] });
    expect(full.status).toBe(409);
    // A network with ports cannot go; deleting a server frees its address for the next one.
    expect((await net('DELETE', `/v2.0/networks/${tiny}`, { token: ADMIN })).status).toBe(409);
    expect((await stack.api('DELETE', `/v2.1/servers/${taken.id}`)).status).toBe(204);
    await eventually(
      async () => ((await portsByServer(tiny))[taken.id] ? undefined : true),
      30_000,
      'the port to go',
    );
    const next = await activeServer('next', { networks: [{ uuid: tiny }] });
    expect(next.addresses.tiny[0].addr).toBe('192.168.7.4');
  }, 150_000);
});

describe('when servers take and give back addresses on a large network', () => {
  it('then its entity republishes its count only once it moved by the slack, and the exact count is a query away', async () => {
    const n = await net('POST', '/v2.0/networks', { token: ADMIN, body: { network: { name: 'wide' } } });
    expect(n.status).toBe(201);
    const wide = n.body.network.id;
    const sub = await net('POST', '/v2.0/subnets', {
      token: ADMIN,
      body: { subnet: { network_id: wide, cidr: '10.9.0.0/24', ip_version: 4 } },
    });
    expect(sub.status).toBe(201);
    const three = await create(
      { name: 'wide', networks: [{ uuid: wide }], min_count: 3, return_reservation_id: true },
      {},
      ADMIN,
    );
    expect(three.status).toBe(202);
    const servers = await eventually(
      async () => {
        const r = await stack.api('GET', `/v2.1/servers/detail?reservation_id=${three.body.reservation_id}`, {
          token: ADMIN,
        });
        const list = r.body.servers ?? [];
        return list.length === 3 && list.every((x: any) => x.status === 'ACTIVE') ? list : undefined;
      },
      60_000,
      'three servers ACTIVE',
    );
    // Three allocations moved the count by less than the slack: the memo (a visibility write each
    // time it changes) still says what the entity published when it started.
    expect(await exactUsedAddresses(stack.client, wide)).toBe(3);
    expect(await usedAddresses(stack.client, wide)).toEqual({ used: 0, slack: USED_SLACK });
    const history = await stack.client.workflow.getHandle(ipamWorkflowId(wide)).fetchHistory();
    const modified = history.events!.filter(
      (e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
    );
    expect(modified).toHaveLength(1);
    // 250 of the pool's 253 addresses are free: the memo alone would let 251 through; the exact count
    // refuses it before anything starts.
    const tooMany = await create({ name: 'x', networks: [{ uuid: wide }], min_count: 251 }, {}, ADMIN);
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.conflictingRequest.message).toBe(
      `No more IP addresses available on network ${wide}.`,
    );
    for (const s of servers)
      expect((await stack.api('DELETE', `/v2.1/servers/${s.id}`, { token: ADMIN })).status).toBe(204);
    await eventually(
      async () => ((await exactUsedAddresses(stack.client, wide)) === 0 ? true : undefined),
      30_000,
      'the ports to go',
    );
  }, 120_000);
});

describe('when a spawn fails on one host and the server is rescheduled', () => {
  it('then it ends ACTIVE on the other host holding exactly one port', async () => {
    stack.drivers['n-bad'].failSpawn = 'reschedule';
    try {
      const s = await activeServer('resched', { networks: [{ uuid: PRIVATE }] });
      expect(
        s['OS-EXT-SRV-ATTR:host'] ??
          (await stack.api('GET', `/v2.1/servers/${s.id}`, { token: ADMIN })).body.server[
            'OS-EXT-SRV-ATTR:host'
          ],
      ).toBe('n-ok');
      expect((await portsByServer(PRIVATE))[s.id]).toEqual([s.addresses.private[0].addr]);
      const actions = await stack.api('GET', `/v2.1/servers/${s.id}/os-instance-actions`);
      expect(actions.status).toBe(200);
    } finally {
      stack.drivers['n-bad'].failSpawn = null;
    }
  }, 60_000);

  it('and a build that fails everywhere holds no address', async () => {
    stack.drivers['n-bad'].failSpawn = 'reschedule';
    stack.drivers['n-ok'].failSpawn = 'reschedule';
    try {
      const r = await create({ name: 'doomed', networks: [{ uuid: PRIVATE }] });
      const s = await waitForStatus(stack, r.body.server.id, ['ERROR', 'ACTIVE']);
      expect(s.status).toBe('ERROR');
      expect(s.addresses).toEqual({});
      expect((await portsByServer(PRIVATE))[s.id]).toBeUndefined();
    } finally {
      stack.drivers['n-bad'].failSpawn = null;
      stack.drivers['n-ok'].failSpawn = null;
    }
  }, 60_000);
});

describe('when a server is deleted while it builds', () => {
  it('then the address it was given is released', async () => {
    for (const d of Object.values(stack.drivers)) d.spawnLatencyMs = 5000;
    try {
      const r = await create({ name: 'short-lived', networks: [{ uuid: PRIVATE }] });
      const id = r.body.server.id;
      await eventually(
        async () => ((await portsByServer(PRIVATE))[id] ? true : undefined),
        30_000,
        'the port',
      );
      expect((await stack.api('DELETE', `/v2.1/servers/${id}`)).status).toBe(204);
      await eventually(
        async () => ((await stack.api('GET', `/v2.1/servers/${id}`)).status === 404 ? true : undefined),
        30_000,
        'the delete',
      );
      expect((await portsByServer(PRIVATE))[id]).toBeUndefined();
    } finally {
      for (const d of Object.values(stack.drivers)) d.spawnLatencyMs = 0;
    }
  }, 60_000);
});
