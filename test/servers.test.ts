import { startStack, waitForStatus, eventually, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: [{ name: 'c1' }, { name: 'c2' }] });
});
afterAll(async () => {
  await stack?.shutdown();
});

describe('when a server is created, shown and deleted', () => {
  it('then it goes BUILD -> ACTIVE on a host, and after delete is 404 with its claim released', async () => {
    const created = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'web', imageRef: IMAGE, flavorRef: '1', metadata: { role: 'web' } } },
    });
    expect(created.status).toBe(202);
    const id = created.body.server.id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.headers.get('location')).toContain(`/servers/${id}`);
    expect(created.body.server.adminPass).toHaveLength(12);

    const first = await stack.api('GET', `/v2.1/servers/${id}`);
    expect(first.status).toBe(200);
    expect(['BUILD', 'ACTIVE']).toContain(first.body.server.status);

    const active = await waitForStatus(stack, id, ['ACTIVE']);
    expect(active.name).toBe('web');
    expect(active.metadata).toEqual({ role: 'web' });
    expect(active['OS-EXT-STS:vm_state']).toBe('active');
    expect(active['OS-EXT-STS:power_state']).toBe(1);
    expect(active.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(active.hostId).toHaveLength(56);
    expect(active['OS-EXT-SRV-ATTR:host']).toBeUndefined();

    const asAdmin = await stack.api('GET', `/v2.1/servers/${id}`, { token: 'admin:demo' });
    const host = asAdmin.body.server['OS-EXT-SRV-ATTR:host'];
    expect(['c1', 'c2']).toContain(host);
    expect(stack.drivers[host].instances.has(id)).toBe(true);

    const del = await stack.api('DELETE', `/v2.1/servers/${id}`);
    expect(del.status).toBe(204);
    await eventually(async () =>
      (await stack.api('GET', `/v2.1/servers/${id}`)).status === 404 ? true : undefined,
    );
    expect(stack.drivers[host].instances.has(id)).toBe(false);
    const limits = await stack.api('GET', '/v2.1/limits');
    expect(limits.body.limits.absolute.totalInstancesUsed).toBe(0);
  });

  it('then the /v2.1/{project_id}/ form of the URL works too', async () => {
    const r = await stack.api('GET', '/v2.1/demo/flavors/1');
    expect(r.status).toBe(200);
    expect(r.body.flavor.name).toBe('m1.tiny');
  });
});
