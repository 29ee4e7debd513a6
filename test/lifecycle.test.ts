import { eventually, startStack, waitForStatus, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    hosts: [{ name: 'l1' }, { name: 'l2' }],
    heartbeatMs: 300,
    scheduler: { downAfterMs: 2000 },
  });
});
afterAll(async () => {
  await stack?.shutdown();
});

const action = (id: string, body: unknown) => stack.api('POST', `/v2.1/servers/${id}/action`, { body });

async function activeServer(name: string) {
  const r = await stack.api('POST', '/v2.1/servers', {
    body: { server: { name, flavorRef: '1', imageRef: IMAGE } },
  });
  return (await waitForStatus(stack, r.body.server.id, ['ACTIVE'])).id as string;
}

describe('when an ACTIVE server is stopped, started and rebooted', () => {
  it('then it walks SHUTOFF -> ACTIVE, and actions the state forbids get 409 with Nova text', async () => {
    const id = await activeServer('life');
    expect((await action(id, { 'os-start': null })).status).toBe(409);
    expect((await action(id, { 'os-start': null })).body.conflictingRequest.message).toBe(
      `Cannot 'start' instance ${id} while it is in vm_state active`,
    );
    expect((await action(id, { 'os-stop': null })).status).toBe(202);
    const off = await waitForStatus(stack, id, ['SHUTOFF']);
    expect(off['OS-EXT-STS:power_state']).toBe(4);
    const soft = await action(id, { reboot: { type: 'SOFT' } });
    expect(soft.status).toBe(409);
    expect(soft.body.conflictingRequest.message).toBe(
      `Cannot 'reboot' instance ${id} while it is in vm_state stopped`,
    );
    expect((await action(id, { reboot: { type: 'hard' } })).status).toBe(202);
    const on = await waitForStatus(stack, id, ['ACTIVE']);
    expect(on['OS-EXT-STS:power_state']).toBe(1);
    expect((await action(id, { reboot: { type: 'Soft' } })).status).toBe(202);
    await waitForStatus(stack, id, ['ACTIVE']);
    const bad = await action(id, { reboot: { type: 'gentle' } });
    expect(bad.status).toBe(400);

    const record: any = await stack.client.workflow.getHandle(`server/${id}`).query('describeServer');
    expect(record.actions.map((a: any) => a.action)).toEqual(['create', 'stop', 'reboot', 'reboot']);
  });
});

describe('when a server is deleted twice', () => {
  it('then its claim and quota are released exactly once and the second delete is 404', async () => {
    const a = await activeServer('keep');
    const b = await activeServer('gone');
    const before = (await stack.api('GET', '/v2.1/limits')).body.limits.absolute.totalInstancesUsed;
    const [d1, d2] = await Promise.all([
      stack.api('DELETE', `/v2.1/servers/${b}`),
      stack.api('DELETE', `/v2.1/servers/${b}`),
    ]);
    // One wins; the other finds the delete in progress (409) or, when the first one is already done, no
    // server at all (404).
    const statuses = [d1.status, d2.status].sort();
    expect(statuses[0]).toBe(204);
    expect([404, 409]).toContain(statuses[1]);
    await eventually(async () =>
      (await stack.api('GET', `/v2.1/servers/${b}`)).status === 404 ? true : undefined,
    );
    expect((await stack.api('DELETE', `/v2.1/servers/${b}`)).status).toBe(404);
    const after = (await stack.api('GET', '/v2.1/limits')).body.limits.absolute;
    expect(after.totalInstancesUsed).toBe(before - 1);
    expect((await stack.api('GET', `/v2.1/servers/${a}`)).status).toBe(200);
  });
});

describe('when an operator disables a host or a host dies', () => {
  it('then new servers avoid it', async () => {
    const denied = await stack.api('PUT', '/v2.1/os-services/disable', {
      body: { host: 'l1', binary: 'nova-compute' },
    });
    expect(denied.status).toBe(403);
    const off = await stack.api('PUT', '/v2.1/os-services/disable-log-reason', {
      token: 'admin:admin',
      body: { host: 'l1', binary: 'nova-compute', disabled_reason: 'maintenance' },
    });
    expect(off.status).toBe(200);
    expect(off.body.service).toMatchObject({
      host: 'l1',
      status: 'disabled',
      disabled_reason: 'maintenance',
    });
    for (let i = 0; i < 3; i++) {
      const id = await activeServer(`avoid${i}`);
      const s = await stack.api('GET', `/v2.1/servers/${id}`, { token: 'admin:admin' });
      expect(s.body.server['OS-EXT-SRV-ATTR:host']).toBe('l2');
    }
    await stack.api('PUT', '/v2.1/os-services/enable', {
      token: 'admin:admin',
      body: { host: 'l1', binary: 'nova-compute' },
    });

    await stack.stopNode('l2');
    const services = await eventually(async () => {
      const r = await stack.api('GET', '/v2.1/os-services', { token: 'admin:admin' });
      const l2 = r.body.services.find((s: any) => s.host === 'l2');
      return l2?.state === 'down' ? r.body.services : undefined;
    }, 15_000);
    expect(services.find((s: any) => s.host === 'l1')).toMatchObject({ state: 'up', status: 'enabled' });
    const id = await activeServer('survivor');
    const s = await stack.api('GET', `/v2.1/servers/${id}`, { token: 'admin:admin' });
    expect(s.body.server['OS-EXT-SRV-ATTR:host']).toBe('l1');
  });
});
