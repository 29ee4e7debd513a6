import type { FakeDriver } from '../drivers/fake';
import { eventually, startStack, type Stack } from './support/stack';

const ADMIN = 'admin:admin';
const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    hosts: [
      { name: 'hv1', driver: { inventory: { vcpus: 8, ram: 8192, disk: 100 } } },
      { name: 'hv2', driver: { inventory: { vcpus: 4, ram: 4096, disk: 50 } } },
      { name: 'hv-min', driver: { capabilities: [] } },
    ],
    scheduler: { downAfterMs: 3000 },
  });
});
afterAll(async () => {
  await stack?.shutdown();
});

async function hypervisorOf(name: string) {
  const list = await stack.api('GET', '/v2.1/os-hypervisors', { token: ADMIN });
  const found = list.body.hypervisors.find((h: any) => h.hypervisor_hostname === name);
  expect(found).toBeDefined();
  return found;
}

describe('when an admin lists hypervisors', () => {
  it('then every host shows with a stable uuid, state up and status enabled', async () => {
    const r = await stack.api('GET', '/v2.1/os-hypervisors', { token: ADMIN });
    expect(r.status).toBe(200);
    const names = r.body.hypervisors.map((h: any) => h.hypervisor_hostname).sort();
    expect(names).toEqual(['hv-min', 'hv1', 'hv2']);
    for (const h of r.body.hypervisors) {
      expect(h.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(h).toMatchObject({ state: 'up', status: 'enabled' });
    }
    const again = await stack.api('GET', '/v2.1/os-hypervisors', { token: ADMIN });
    expect(again.body.hypervisors.map((h: any) => h.id).sort()).toEqual(
      r.body.hypervisors.map((h: any) => h.id).sort(),
    );
  });

  it('then detail and show count the resources servers hold', async () => {
    const created = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'hv-count', imageRef: IMAGE, flavorRef: '2', min_count: 2 } },
    });
    expect(created.status).toBe(202);
    const detail = await eventually(async () => {
      const r = await stack.api('GET', '/v2.1/os-hypervisors/detail', { token: ADMIN });
      const vms = r.body.hypervisors.reduce((n: number, h: any) => n + h.running_vms, 0);
      return vms === 2 ? r.body.hypervisors : undefined;
    });
    const hv1 = detail.find((h: any) => h.hypervisor_hostname === 'hv1');
    expect(hv1).toMatchObject({ vcpus: 8, memory_mb: 8192, local_gb: 100, hypervisor_type: 'fake' });
    expect(hv1.free_ram_mb).toBe(hv1.memory_mb - hv1.memory_mb_used);
    // Its service is the one os-services lists for the host, by the same id (2.53's uuid).
    const services = await stack.api('GET', '/v2.1/os-services?host=hv1', {
      token: ADMIN,
      headers: { 'OpenStack-API-Version': 'compute 2.53' },
    });
    expect(hv1.service).toEqual({ id: services.body.services[0].id, host: 'hv1', disabled_reason: null });
    const used = detail.reduce((n: number, h: any) => n + h.memory_mb_used, 0);
    expect(used).toBe(2 * 2048);

    const show = await stack.api('GET', `/v2.1/os-hypervisors/${hv1.id}`, { token: ADMIN });
    expect(show.status).toBe(200);
    expect(show.body.hypervisor).toEqual(hv1);
  });

  it('then an unknown id is 404 itemNotFound', async () => {
    const r = await stack.api('GET', '/v2.1/os-hypervisors/00000000-0000-5000-8000-000000000000', {
      token: ADMIN,
    });
    expect(r.status).toBe(404);
    expect(r.body.itemNotFound.code).toBe(404);
  });
});

describe('when an admin asks for totals, searches by host name and lists servers (novaclient and OSC shapes)', () => {
  const v = (minor: number) => ({ 'OpenStack-API-Version': `compute 2.${minor}` });
  it('then statistics sum every host, and the pre-2.53 paths and 2.53 query parameters find the same hosts', async () => {
    const stats = await stack.api('GET', '/v2.1/os-hypervisors/statistics', { token: ADMIN });
    expect(stats.status).toBe(200);
    expect(stats.body.hypervisor_statistics).toMatchObject({ count: 3, running_vms: 2 });
    expect(stats.body.hypervisor_statistics.vcpus).toBeGreaterThanOrEqual(12);
    expect(stats.body.hypervisor_statistics.memory_mb_used).toBe(2 * 2048);

    const found = await stack.api('GET', '/v2.1/os-hypervisors/hv/search', { token: ADMIN });
    expect(found.body.hypervisors.map((h: any) => h.hypervisor_hostname).sort()).toEqual([
      'hv-min',
      'hv1',
      'hv2',
    ]);
    expect((await stack.api('GET', '/v2.1/os-hypervisors/zz/search', { token: ADMIN })).status).toBe(404);
    const withServers = await stack.api('GET', '/v2.1/os-hypervisors/hv/servers', { token: ADMIN });
    const held = withServers.body.hypervisors.flatMap((h: any) => h.servers ?? []);
    expect(held).toHaveLength(2);
    expect(held[0].name).toMatch(/^instance-[0-9a-f]{8}$/);

    expect(
      (await stack.api('GET', '/v2.1/os-hypervisors/hv/search', { token: ADMIN, headers: v(53) })).status,
    ).toBe(404);
    const q = await stack.api(
      'GET',
      '/v2.1/os-hypervisors?hypervisor_hostname_pattern=hv&with_servers=true',
      {
        token: ADMIN,
        headers: v(53),
      },
    );
    expect(
      q.body.hypervisors
        .flatMap((h: any) => h.servers ?? [])
        .map((x: any) => x.uuid)
        .sort(),
    ).toEqual(held.map((x: any) => x.uuid).sort());
    expect(
      (
        await stack.api('GET', '/v2.1/os-hypervisors?hypervisor_hostname_pattern=zz', {
          token: ADMIN,
          headers: v(53),
        })
      ).status,
    ).toBe(404);

    const detail = await stack.api('GET', '/v2.1/os-hypervisors/detail', { token: ADMIN, headers: v(28) });
    expect(detail.body.hypervisors[0].cpu_info).toEqual({});
    expect(
      (await stack.api('GET', '/v2.1/os-hypervisors/detail', { token: ADMIN })).body.hypervisors[0].cpu_info,
    ).toBe('{}');
  });
});

describe('when a non-admin asks for hypervisors', () => {
  it("then it is 403 with Nova's policy text", async () => {
    const r = await stack.api('GET', '/v2.1/os-hypervisors');
    expect(r.status).toBe(403);
    expect(r.body.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-hypervisors:list to be performed.",
    );
  });
});

describe("when an admin asks a hypervisor's uptime", () => {
  it("then the answer comes from that host's own driver", async () => {
    const hv2 = stack.drivers.hv2;
    hv2.uptime = async () => ' 10:00:00 up 3 days, from the hv2 driver';
    stack.drivers.hv1.uptime = async () => ' 10:00:00 up 1 day, from the hv1 driver';
    const h = await hypervisorOf('hv2');
    const r = await stack.api('GET', `/v2.1/os-hypervisors/${h.id}/uptime`, { token: ADMIN });
    expect(r.status).toBe(200);
    expect(r.body.hypervisor).toEqual({ ...h, uptime: ' 10:00:00 up 3 days, from the hv2 driver' });
    delete (hv2 as Partial<FakeDriver>).uptime;
    delete (stack.drivers.hv1 as Partial<FakeDriver>).uptime;
  });

  it('then a driver without the uptime capability answers 501 notImplemented', async () => {
    const h = await hypervisorOf('hv-min');
    const r = await stack.api('GET', `/v2.1/os-hypervisors/${h.id}/uptime`, { token: ADMIN });
    expect(r.status).toBe(501);
    expect(r.body.notImplemented.message).toBe('Virt driver does not implement host uptime function.');
  });

  it('then a host whose node just died fails fast with 400 instead of hanging, and shows down later', async () => {
    const h = await hypervisorOf('hv2');
    await stack.stopNode('hv2');
    const started = Date.now();
    const r = await stack.api('GET', `/v2.1/os-hypervisors/${h.id}/uptime`, { token: ADMIN });
    expect(r.status).toBe(400);
    expect(r.body.badRequest.message).toBe('Compute service of hv2 is unavailable at this time.');
    expect(Date.now() - started).toBeLessThan(15_000);
    const down = await eventually(async () => {
      const cur = await hypervisorOf('hv2');
      return cur.state === 'down' ? cur : undefined;
    });
    expect(down.status).toBe('enabled');
    const fast = await stack.api('GET', `/v2.1/os-hypervisors/${h.id}/uptime`, { token: ADMIN });
    expect(fast.status).toBe(400);
  });
});
