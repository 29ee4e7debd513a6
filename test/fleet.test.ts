import { eventually, startStack, waitForStatus, type Stack } from './support/stack';
import { listHostStates, loadHostStates } from '../entities/host/client';

/**
 * A fleet: one compute-node process serving many fake hosts on one worker, one task queue and one
 * heartbeat (issue 16). Each host is still its own host entity with its own claims; every driver call
 * reaches the driver of the host it names.
 */
const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const ADMIN = 'admin:x';
const HOSTS = 24;
const names = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i + 1).padStart(2, '0')}`);
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: [], scheduler: { downAfterMs: 3000 }, heartbeatMs: 500 });
  await stack.startFleet(
    'fl',
    names('fl', HOSTS).map((name) => ({ name })),
  );
  const quota = await stack.api('PUT', '/v2.1/os-quota-sets/demo', {
    token: ADMIN,
    body: { quota_set: { instances: -1, cores: -1, ram: -1 } },
  });
  expect(quota.status).toBe(200);
  // The scheduler finds hosts in one visibility listing of their published states.
  await eventually(async () => ((await listHostStates(stack.client)).length === HOSTS ? true : undefined));
});
afterAll(async () => {
  await stack?.shutdown();
});

/** Creates `n` servers in one request and waits until all are ACTIVE; answers their admin views. */
async function createActive(name: string, n: number): Promise<Record<string, string>[]> {
  const r = await stack.api('POST', '/v2.1/servers', {
    body: {
      server: {
        name,
        flavorRef: '1',
        imageRef: IMAGE,
        min_count: n,
        max_count: n,
        return_reservation_id: true,
      },
    },
  });
  expect(r.status).toBe(202);
  return eventually(async () => {
    const l = await stack.api(
      'GET',
      `/v2.1/servers/detail?all_tenants=1&reservation_id=${r.body.reservation_id}`,
      {
        token: ADMIN,
      },
    );
    const servers = l.body.servers as Record<string, string>[];
    return servers.length === n && servers.every((s) => s.status === 'ACTIVE') ? servers : undefined;
  });
}

/** Waits until no driver runs an instance and no host holds a claim. */
const allGone = () =>
  eventually(async () =>
    Object.values(stack.drivers).every((d) => d.instances.size === 0) &&
    (await loadHostStates(stack.client)).every((h) => Object.keys(h.allocations).length === 0)
      ? true
      : undefined,
  );

const hypervisors = async () =>
  (await stack.api('GET', '/v2.1/os-hypervisors/detail', { token: ADMIN })).body.hypervisors as {
    hypervisor_hostname: string;
    state: string;
    running_vms: number;
  }[];

describe('when one process serves a fleet of hosts', () => {
  it('then every host is up, and one request spreads over all of them, each on its own driver', async () => {
    const hv = await hypervisors();
    expect(hv.map((h) => h.hypervisor_hostname).sort()).toEqual(names('fl', HOSTS));
    expect(hv.every((h) => h.state === 'up')).toBe(true);

    const list = await createActive('f', HOSTS);
    // Spread: each server on a host of its own, and that host's driver (no other) runs it.
    const placed = list.map((s) => [s.id, s['OS-EXT-SRV-ATTR:host']] as const);
    expect(new Set(placed.map(([, h]) => h)).size).toBe(HOSTS);
    for (const [id, host] of placed) {
      expect(stack.drivers[host].instances.has(id)).toBe(true);
      expect(Object.values(stack.drivers).filter((d) => d.instances.has(id))).toHaveLength(1);
    }
    // The listing the scheduler plans on and the queries agree on every claim.
    const queried = await loadHostStates(stack.client);
    const listed = await eventually(async () => {
      const l = await listHostStates(stack.client);
      return l.every((h) => Object.keys(h.allocations).length === 1) ? l : undefined;
    });
    expect(listed.map((h) => Object.keys(h.allocations))).toEqual(
      queried.map((h) => Object.keys(h.allocations)),
    );

    // Actions and reads that go to a host reach that host's driver through the fleet's queue.
    const [id, host] = placed[0];
    await stack.api('POST', `/v2.1/servers/${id}/action`, { body: { 'os-stop': null } });
    await waitForStatus(stack, id, ['SHUTOFF']);
    expect(stack.drivers[host].instances.get(id)?.running).toBe(false);
    await stack.api('POST', `/v2.1/servers/${id}/action`, { body: { 'os-start': null } });
    await waitForStatus(stack, id, ['ACTIVE']);
    const output = await stack.api('POST', `/v2.1/servers/${id}/action`, {
      body: { 'os-getConsoleOutput': {} },
    });
    expect(output.status).toBe(200);
    expect(output.body.output).toContain('booted from');

    for (const [sid] of placed) expect((await stack.api('DELETE', `/v2.1/servers/${sid}`)).status).toBe(204);
    await allGone();
  });

  it("then the hypervisor list shows each host's own uptime, asked of the whole fleet in one task", async () => {
    for (const name of names('fl', 3))
      stack.drivers[name].uptime = async () => ` 10:00:00 up, said by ${name}`;
    const since = new Date().toISOString();
    const r = await stack.api('GET', '/v2.1/os-hypervisors/detail', {
      token: ADMIN,
      headers: { 'OpenStack-API-Version': 'compute 2.88' },
    });
    for (const name of names('fl', 3)) delete (stack.drivers[name] as { uptime?: unknown }).uptime;
    expect(r.status).toBe(200);
    const uptimes = Object.fromEntries(
      (r.body.hypervisors as { hypervisor_hostname: string; uptime: string | null }[]).map((h) => [
        h.hypervisor_hostname,
        h.uptime,
      ]),
    );
    expect(Object.keys(uptimes)).toHaveLength(HOSTS);
    for (const name of names('fl', 3)) expect(uptimes[name]).toBe(` 10:00:00 up, said by ${name}`);
    // The others answer from the fake driver's own uptime.
    expect(uptimes['fl-24']).toMatch(/ up \d+ min/);
    // One workflow, one activity for the 24 hosts of the fleet (it was a workflow per host).
    const started = async (type: string) => {
      const ids: string[] = [];
      const query = `WorkflowType = '${type}' AND StartTime >= '${since}'`;
      for await (const w of stack.client.workflow.list({ query })) ids.push(w.workflowId);
      return ids;
    };
    const [one] = await eventually(async () => {
      const ids = await started('hypervisorUptimesWorkflow');
      return ids.length === 1 ? ids : undefined;
    });
    expect(await started('hypervisorUptimeWorkflow')).toEqual([]);
    const history = await stack.client.workflow.getHandle(one).fetchHistory();
    const scheduled = (history.events ?? []).flatMap((e) =>
      e.activityTaskScheduledEventAttributes
        ? [e.activityTaskScheduledEventAttributes.activityType?.name]
        : [],
    );
    expect(scheduled).toEqual(['fleetCall']);
  });

  it('then a host whose spawn fails is rescheduled onto another host of the fleet', async () => {
    const bad = 'fl-01';
    stack.drivers[bad].failSpawn = 'reschedule';
    try {
      // The hosts are equal and idle: ties go to the name, so fl-01 is tried first, fl-02 next.
      const r = await stack.api('POST', '/v2.1/servers', {
        body: { server: { name: 'r', flavorRef: '1', imageRef: IMAGE } },
      });
      expect(r.status).toBe(202);
      const id = r.body.server.id as string;
      await waitForStatus(stack, id, ['ACTIVE']);
      const record: any = await stack.client.workflow.getHandle(`server/${id}`).query('describeServer');
      expect(record.attempts.map((a: any) => [a.host, a.result])).toEqual([
        [bad, 'Error'],
        ['fl-02', 'Success'],
      ]);
      expect(stack.drivers[bad].spawnCalls).toBeGreaterThan(0);
      expect(stack.drivers[record.host].instances.has(id)).toBe(true);
      expect(stack.drivers[bad].instances.has(id)).toBe(false);
      expect((await stack.api('DELETE', `/v2.1/servers/${id}`)).status).toBe(204);
    } finally {
      stack.drivers[bad].failSpawn = null;
    }
  });

  it('then its hosts go down together when the process stops, and a restart with fewer hosts leaves the others down', async () => {
    await stack.stopNode('fl');
    await eventually(
      async () => ((await hypervisors()).every((h) => h.state === 'down') ? true : undefined),
      15_000,
    );
    const refused = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'nohost', flavorRef: '1', imageRef: IMAGE } },
    });
    const id = refused.body.server.id as string;
    const failed = await waitForStatus(stack, id, ['ERROR']);
    expect(failed.fault.message).toContain('No valid host');
    await stack.api('DELETE', `/v2.1/servers/${id}`);

    // The same service back with half its hosts: those it still serves come up, the rest stay down.
    const kept = names('fl', HOSTS / 2);
    await stack.startFleet(
      'fl',
      kept.map((name) => ({ name })),
    );
    const hv = await eventually(async () => {
      const list = await hypervisors();
      return list.filter((h) => h.state === 'up').length === kept.length ? list : undefined;
    }, 15_000);
    expect(
      hv
        .filter((h) => h.state === 'up')
        .map((h) => h.hypervisor_hostname)
        .sort(),
    ).toEqual(kept);
    const servers = await createActive('back', 6);
    for (const s of servers) expect(kept).toContain(s['OS-EXT-SRV-ATTR:host']);
    for (const s of servers) await stack.api('DELETE', `/v2.1/servers/${s.id}`);
    await allGone();
  });
});
