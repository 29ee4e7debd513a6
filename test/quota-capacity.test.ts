import { hostStateQuery } from '../entities/host/messages';
import { hostWorkflowId } from '../common/names';
import { eventually, startStack, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const small = { vcpus: 2, ram: 4096, disk: 100 };
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    hosts: [
      { name: 'q1', driver: { inventory: small } },
      { name: 'q2', driver: { inventory: small } },
      { name: 'q3', driver: { inventory: small } },
    ],
  });
});
afterAll(async () => {
  await stack?.shutdown();
});

const create = (token: string, server: Record<string, unknown>) =>
  stack.api('POST', '/v2.1/servers', {
    token,
    body: { server: { imageRef: IMAGE, return_reservation_id: true, ...server } },
  });

async function settled(token: string, rid: string, count: number) {
  return eventually(async () => {
    const r = await stack.api('GET', `/v2.1/servers/detail?reservation_id=${rid}`, { token });
    const servers = r.body.servers as any[];
    return servers.length === count && servers.every((s) => ['ACTIVE', 'ERROR'].includes(s.status))
      ? servers
      : undefined;
  }, 60_000);
}

async function usage(token: string) {
  return (await stack.api('GET', '/v2.1/limits', { token })).body.limits.absolute;
}

async function allocations() {
  const out: Record<string, number> = {};
  for (const h of ['q1', 'q2', 'q3']) {
    const s = await stack.client.workflow.getHandle(hostWorkflowId(h)).query(hostStateQuery);
    out[h] = Object.keys(s.allocations).length;
  }
  return out;
}

/** Host claims are released by signal after a delete: wait until every host is empty again. */
async function hostsEmpty() {
  await eventually(async () => (Object.values(await allocations()).every((n) => n === 0) ? true : undefined));
}

/** Deletes the project's servers (those not already being deleted) and waits until none is left. */
async function deleteAll(token: string) {
  const r = await stack.api('GET', '/v2.1/servers/detail', { token });
  for (const s of r.body.servers) {
    if (s['OS-EXT-STS:task_state'] === 'deleting') continue;
    expect((await stack.api('DELETE', `/v2.1/servers/${s.id}`, { token })).status).toBe(204);
  }
  await eventually(async () => ((await usage(token)).totalInstancesUsed === 0 ? true : undefined));
  await eventually(async () =>
    (await stack.api('GET', '/v2.1/servers', { token })).body.servers.length === 0 ? true : undefined,
  );
}

describe('when a request does not fit the quota', () => {
  it('then it is reduced to what fits when that reaches min_count, else refused with 403 and nothing created', async () => {
    const token = 'quinn:quota-a';
    await stack.api('PUT', '/v2.1/os-quota-sets/quota-a', {
      token: 'admin:admin',
      body: { quota_set: { instances: 4 } },
    });
    const reduced = await create(token, { name: 'q', flavorRef: '1', min_count: 2, max_count: 6 });
    expect(reduced.status).toBe(202);
    const servers = await settled(token, reduced.body.reservation_id, 4);
    expect(servers.every((s) => s.status === 'ACTIVE')).toBe(true);
    expect((await usage(token)).totalInstancesUsed).toBe(4);

    const refused = await create(token, { name: 'q', flavorRef: '1', min_count: 1, max_count: 3 });
    expect(refused.status).toBe(403);
    expect(refused.body.forbidden.message).toBe(
      'Quota exceeded for instances: Requested 1-3, but already used 4 of 4 instances',
    );
    const list = await stack.api('GET', '/v2.1/servers', { token });
    expect(list.body.servers).toHaveLength(4);

    await deleteAll(token);
    expect(await usage(token)).toMatchObject({ totalInstancesUsed: 0, totalCoresUsed: 0, totalRAMUsed: 0 });
  });

  it('then cores count too, and only an admin may change a quota', async () => {
    const token = 'cora:quota-b';
    const refused = await create(token, { name: 'big', flavorRef: '5', min_count: 3 });
    expect(refused.status).toBe(403);
    expect(refused.body.forbidden.message).toContain('Quota exceeded for cores: Requested 24');
    const denied = await stack.api('PUT', '/v2.1/os-quota-sets/quota-b', {
      token,
      body: { quota_set: { cores: 100 } },
    });
    expect(denied.status).toBe(403);
    const show = await stack.api('GET', '/v2.1/os-quota-sets/quota-b', { token });
    expect(show.body.quota_set).toMatchObject({ id: 'quota-b', instances: 10, cores: 20, ram: 51200 });
  });
});

describe('when capacity is short', () => {
  beforeAll(async () => {
    await stack.api('PUT', '/v2.1/os-quota-sets/cap', {
      token: 'admin:admin',
      body: { quota_set: { instances: 50, cores: 50, ram: 500000 } },
    });
  });

  it('then fewer than min_count placeable puts every server in ERROR with NoValidHost and per-filter reasons, leaking nothing', async () => {
    await hostsEmpty();
    const token = 'cap:cap';
    const r = await create(token, { name: 'toomany', flavorRef: '2', min_count: 7, max_count: 8 });
    expect(r.status).toBe(202);
    const servers = await settled(token, r.body.reservation_id, 8);
    expect(servers.every((s) => s.status === 'ERROR')).toBe(true);
    expect(servers[0].fault.message).toBe('No valid host was found. There are not enough hosts available.');
    const asAdmin = await stack.api('GET', `/v2.1/servers/${servers[0].id}`, { token: 'admin:admin' });
    expect(asAdmin.body.server.fault.details).toMatch(
      /6 of 8 server\(s\) could be placed, 7 needed: 3 host\(s\) considered; CoreFilter removed 3/,
    );
    // The settle stage releases the quota by signal, right after it started the servers in ERROR.
    await eventually(async () => ((await usage(token)).totalInstancesUsed === 0 ? true : undefined));
    await hostsEmpty();
    await deleteAll(token);
  });

  it('then between min and max as many as fit are launched and the rest release their quota', async () => {
    const token = 'cap:cap';
    const r = await create(token, { name: 'some', flavorRef: '2', min_count: 2, max_count: 8 });
    const servers = await settled(token, r.body.reservation_id, 6);
    expect(servers.every((s) => s.status === 'ACTIVE')).toBe(true);
    expect(await allocations()).toEqual({ q1: 2, q2: 2, q3: 2 });
    expect((await usage(token)).totalInstancesUsed).toBe(6);
    await deleteAll(token);
    await hostsEmpty();
  });

  it('then 20 concurrent creates never overbook a host nor exceed quota, and all settle', async () => {
    for (const p of ['race-a', 'race-b']) {
      await stack.api('PUT', `/v2.1/os-quota-sets/${p}`, {
        token: 'admin:admin',
        body: { quota_set: { instances: 5 } },
      });
    }
    const tokens = Array.from({ length: 20 }, (_, i) => (i % 2 ? 'ra:race-a' : 'rb:race-b'));
    const answers = await Promise.all(
      tokens.map((t, i) => create(t, { name: `race${i}`, flavorRef: '1', min_count: 1, max_count: 2 })),
    );
    expect(answers.every((a) => a.status === 202 || a.status === 403)).toBe(true);
    const accepted = answers.map((a, i) => ({ a, token: tokens[i] })).filter(({ a }) => a.status === 202);
    let active = 0;
    for (const { a, token } of accepted) {
      const servers = await eventually(async () => {
        const r = await stack.api('GET', `/v2.1/servers/detail?reservation_id=${a.body.reservation_id}`, {
          token,
        });
        const list = r.body.servers as any[];
        return list.length > 0 && list.every((s) => ['ACTIVE', 'ERROR'].includes(s.status))
          ? list
          : undefined;
      }, 60_000);
      active += servers.filter((s) => s.status === 'ACTIVE').length;
    }
    const alloc = await allocations();
    for (const n of Object.values(alloc)) expect(n).toBeLessThanOrEqual(2); // 2 vCPUs at ratio 1, one each
    expect(Object.values(alloc).reduce((x, y) => x + y, 0)).toBe(active);
    for (const t of ['ra:race-a', 'rb:race-b'])
      expect((await usage(t)).totalInstancesUsed).toBeLessThanOrEqual(5);
    await deleteAll('ra:race-a');
    await deleteAll('rb:race-b');
    await hostsEmpty();
  });
});
