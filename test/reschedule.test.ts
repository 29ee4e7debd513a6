import { eventually, startStack, waitForStatus, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
let stack: Stack;

// f-bad has the most free RAM, so the spread weigher always tries it first.
beforeAll(async () => {
  stack = await startStack({
    hosts: [
      { name: 'f-bad', driver: { inventory: { ram: 65536 }, failSpawn: 'reschedule' } },
      { name: 'f-ok', driver: { inventory: { ram: 32768 } } },
      { name: 'f-ok2', driver: { inventory: { ram: 16384 } } },
    ],
  });
});
afterAll(async () => {
  await stack?.shutdown();
});

async function createOne(name: string) {
  const r = await stack.api('POST', '/v2.1/servers', {
    body: { server: { name, flavorRef: '1', imageRef: IMAGE } },
  });
  expect(r.status).toBe(202);
  return r.body.server.id as string;
}

describe('when a host fails spawns with "try elsewhere"', () => {
  it('then the server ends ACTIVE on an alternate, with both attempts recorded', async () => {
    const id = await createOne('resched');
    await waitForStatus(stack, id, ['ACTIVE']);
    const admin = await stack.api('GET', `/v2.1/servers/${id}`, { token: 'admin:x' });
    expect(admin.body.server['OS-EXT-SRV-ATTR:host']).toBe('f-ok');
    expect(stack.drivers['f-bad'].spawnCalls).toBeGreaterThan(0);
    expect(stack.drivers['f-bad'].instances.has(id)).toBe(false);
    const record = await stack.client.workflow.getHandle(`server/${id}`).query('describeServer');
    const attempts = (record as any).attempts.map((a: any) => [a.host, a.result]);
    expect(attempts).toEqual([
      ['f-bad', 'Error'],
      ['f-ok', 'Success'],
    ]);
    const events = (record as any).actions[0].events.map((e: any) => [e.event, e.host, e.result]);
    expect(events).toEqual([
      ['compute__do_build_and_run_instance', 'f-bad', 'Error'],
      ['compute__do_build_and_run_instance', 'f-ok', 'Success'],
    ]);
    // Lists filter on the search attributes, upserted only when they change: the host changed while
    // the status stayed BUILD, and the list by host follows it.
    const listed = async (host: string) =>
      (
        await stack.api('GET', `/v2.1/servers?all_tenants=1&host=${host}`, { token: 'admin:x' })
      ).body.servers.map((s: { id: string }) => s.id) as string[];
    await eventually(async () => ((await listed('f-ok')).includes(id) ? true : undefined));
    expect(await listed('f-bad')).not.toContain(id);
    expect((await stack.api('DELETE', `/v2.1/servers/${id}`)).status).toBe(204);
    await eventually(async () => (!(await listed('f-ok')).includes(id) ? true : undefined));
  });

  it('then with all three hosts failing the server goes to ERROR with the max-retries fault', async () => {
    stack.drivers['f-ok'].failSpawn = 'reschedule';
    stack.drivers['f-ok2'].failSpawn = 'reschedule';
    try {
      const id = await createOne('doomed');
      const s = await waitForStatus(stack, id, ['ERROR']);
      expect(s.fault.code).toBe(500);
      expect(s.fault.message).toBe(
        `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${id}.`,
      );
      const limits = await stack.api('GET', '/v2.1/limits');
      expect(limits.body.limits.absolute.totalInstancesUsed).toBe(1);
      expect((await stack.api('DELETE', `/v2.1/servers/${id}`)).status).toBe(204);
    } finally {
      stack.drivers['f-ok'].failSpawn = null;
      stack.drivers['f-ok2'].failSpawn = null;
    }
  });

  it('then a fatal failure goes to ERROR at once without trying other hosts', async () => {
    stack.drivers['f-bad'].failSpawn = 'abort';
    try {
      const before = stack.drivers['f-ok'].spawnCalls;
      const id = await createOne('aborted');
      const s = await waitForStatus(stack, id, ['ERROR']);
      expect(s.fault.message).toContain('aborted');
      expect(stack.drivers['f-ok'].spawnCalls).toBe(before);
      expect((await stack.api('DELETE', `/v2.1/servers/${id}`)).status).toBe(204);
    } finally {
      stack.drivers['f-bad'].failSpawn = 'reschedule';
    }
  });
});
