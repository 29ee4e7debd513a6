import { eventually, startStack, waitForStatus, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: [{ name: 'm1' }, { name: 'm2' }, { name: 'm3' }] });
});
afterAll(async () => {
  await stack?.shutdown();
});

async function serversOf(reservationId: string, token = 'admin:demo') {
  return eventually(async () => {
    const r = await stack.api('GET', `/v2.1/servers/detail?reservation_id=${reservationId}&all_tenants=1`, {
      token,
      headers: { 'OpenStack-API-Version': 'compute 2.3' },
    });
    const servers = r.body.servers as any[];
    return servers.length > 0 && servers.every((s) => s.status === 'ACTIVE' || s.status === 'ERROR')
      ? servers
      : undefined;
  });
}

describe('when one request asks for min 3 / max 5 on three hosts', () => {
  it('then 5 servers go ACTIVE, spread over the hosts, named -1..-5 with launch indexes 0..4 and one reservation id', async () => {
    const r = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'fleet', flavorRef: '1', imageRef: IMAGE, min_count: 3, max_count: 5 } },
    });
    expect(r.status).toBe(202);
    expect(Object.keys(r.body.server).sort()).toEqual([
      'OS-DCF:diskConfig',
      'adminPass',
      'id',
      'links',
      'security_groups',
    ]);
    const first = await waitForStatus(stack, r.body.server.id, ['ACTIVE'], 'admin:demo');
    const rid = (
      await stack.api('GET', `/v2.1/servers/${first.id}`, {
        token: 'admin:demo',
        headers: { 'OpenStack-API-Version': 'compute 2.3' },
      })
    ).body.server['OS-EXT-SRV-ATTR:reservation_id'];
    expect(rid).toMatch(/^r-[0-9a-z]{8}$/);
    const servers = await eventually(async () => {
      const all = await serversOf(rid);
      return all.length === 5 && all.every((s) => s.status === 'ACTIVE') ? all : undefined;
    });
    expect(servers.map((s) => s.name).sort()).toEqual([
      'fleet-1',
      'fleet-2',
      'fleet-3',
      'fleet-4',
      'fleet-5',
    ]);
    expect(servers.map((s) => s['OS-EXT-SRV-ATTR:launch_index']).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(servers.map((s) => s['OS-EXT-SRV-ATTR:reservation_id']))).toEqual(new Set([rid]));
    const byName = Object.fromEntries(servers.map((s) => [s.name, s]));
    expect(byName['fleet-1'].id).toBe(r.body.server.id);
    expect(byName['fleet-1']['OS-EXT-SRV-ATTR:launch_index']).toBe(0);
    const hosts = servers.map((s) => s['OS-EXT-SRV-ATTR:host']);
    expect(new Set(hosts)).toEqual(new Set(['m1', 'm2', 'm3']));
    for (const s of servers) await stack.api('DELETE', `/v2.1/servers/${s.id}`);
  });
});

describe('when return_reservation_id is asked for', () => {
  it.each([[true], ['True'], ['1'], ['yes']])(
    'then the answer is only the reservation id (%p)',
    async (flag) => {
      const r = await stack.api('POST', '/v2.1/servers', {
        body: {
          server: {
            name: 'rr',
            flavorRef: '1',
            imageRef: IMAGE,
            min_count: '2',
            return_reservation_id: flag,
          },
        },
      });
      expect(r.status).toBe(202);
      expect(Object.keys(r.body)).toEqual(['reservation_id']);
      expect(r.body.reservation_id).toMatch(/^r-[0-9a-z]{8}$/);
      const servers = await serversOf(r.body.reservation_id);
      expect(servers).toHaveLength(2);
      for (const s of servers) await stack.api('DELETE', `/v2.1/servers/${s.id}`);
    },
  );

  it('then a false form gives the first server, and string counts like "2" work', async () => {
    const r = await stack.api('POST', '/v2.1/servers', {
      body: {
        server: {
          name: 'rf',
          flavorRef: 1,
          imageRef: IMAGE,
          min_count: '2',
          max_count: '2',
          return_reservation_id: 'false',
        },
      },
    });
    expect(r.status).toBe(202);
    expect(r.body.server.id).toBeDefined();
    const s = await waitForStatus(stack, r.body.server.id, ['ACTIVE']);
    expect(s.name).toBe('rf-1');
    const list = await stack.api('GET', '/v2.1/servers?name=^rf-');
    expect(list.body.servers.map((x: any) => x.name).sort()).toEqual(['rf-1', 'rf-2']);
    for (const x of list.body.servers) await stack.api('DELETE', `/v2.1/servers/${x.id}`);
  });
});

describe('when the server list is paged', () => {
  it('then limit and marker walk it newest first with a next link', async () => {
    const r = await stack.api('POST', '/v2.1/servers', {
      token: 'pager:pages',
      body: {
        server: { name: 'pg', flavorRef: '1', imageRef: IMAGE, min_count: 3, return_reservation_id: true },
      },
    });
    await serversOf(r.body.reservation_id);
    const all = await eventually(async () => {
      const x = await stack.api('GET', '/v2.1/servers', { token: 'pager:pages' });
      return x.body.servers.length === 3 ? x.body.servers : undefined;
    });
    const page1 = await stack.api('GET', '/v2.1/servers?limit=2', { token: 'pager:pages' });
    expect(page1.body.servers.map((s: any) => s.id)).toEqual(all.slice(0, 2).map((s: any) => s.id));
    expect(page1.body.servers_links[0].href).toContain(`marker=${all[1].id}`);
    const page2 = await stack.api('GET', `/v2.1/servers?limit=2&marker=${all[1].id}`, {
      token: 'pager:pages',
    });
    expect(page2.body.servers.map((s: any) => s.id)).toEqual([all[2].id]);
    expect(page2.body.servers_links).toBeUndefined();
    const byFlavor = await stack.api('GET', '/v2.1/servers?flavor=1', { token: 'pager:pages' });
    expect(byFlavor.body.servers).toHaveLength(3);
    const otherFlavor = await stack.api('GET', '/v2.1/servers?flavor=2', { token: 'pager:pages' });
    expect(otherFlavor.body.servers).toHaveLength(0);
    const future = await stack.api('GET', '/v2.1/servers?changes-since=2999-01-01T00:00:00Z', {
      token: 'pager:pages',
    });
    expect(future.body.servers).toHaveLength(0);
    // A status no server can have matches none (Nova answers an empty list, not a 400).
    const none = await stack.api('GET', '/v2.1/servers?status=SLEEPY', { token: 'pager:pages' });
    expect(none.status).toBe(200);
    expect(none.body.servers).toEqual([]);
    for (const s of all) await stack.api('DELETE', `/v2.1/servers/${s.id}`, { token: 'pager:pages' });
  });
});
