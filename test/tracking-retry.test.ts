import { randomUUID } from 'node:crypto';
import { startStack, eventually, waitForStatus, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const ADMIN = 'admin:admin';
let stack: Stack;

beforeAll(async () => {
  // One small host: a create that needs more than one vCPU of it has no valid host.
  stack = await startStack({ hosts: [{ name: 'c1', driver: { inventory: { vcpus: 3 } } }] });
});
afterAll(async () => {
  await stack?.shutdown();
});

async function create(name: string, min: number, max = min, token = 'alice:demo'): Promise<string> {
  const r = await stack.api('POST', '/v2.1/servers', {
    token,
    body: {
      server: {
        name,
        imageRef: IMAGE,
        flavorRef: '1',
        min_count: min,
        max_count: max,
        return_reservation_id: true,
      },
    },
  });
  expect(r.status).toBe(202);
  return r.body.reservation_id;
}

async function settled(rid: string, token = 'alice:demo') {
  return eventually(
    async () => {
      const r = await stack.api('GET', `/v2.1/os-reservations/${rid}`, { token });
      return r.body.reservation.settled ? r.body.reservation : undefined;
    },
    30_000,
    `reservation ${rid} to settle`,
  );
}

const retryAs = (id: string, requestId?: string, token = 'alice:demo') =>
  stack.api('POST', `/v2.1/servers/${id}/action`, {
    token,
    body: { retry: {} },
    headers: requestId ? { 'X-Openstack-Request-Id': requestId } : {},
  });

describe('when a failed server is retried', () => {
  it('then it ends ACTIVE once its host is fixed, and the same retry twice spawns once', async () => {
    const driver = stack.drivers.c1;
    driver.failSpawn = 'reschedule';
    const rid = await create('flaky', 1);
    const failed = await settled(rid);
    expect(failed.servers_by_status).toEqual({ ERROR: 1 });
    const id = failed.servers[0].id;
    expect(failed.servers[0].fault.message).toMatch(/^Exceeded maximum number of retries/);

    const busy = await stack.api('POST', `/v2.1/servers/${id}/action`, { body: { 'os-start': null } });
    expect(busy.status).toBe(409);

    driver.failSpawn = null;
    driver.spawnLatencyMs = 1500;
    const before = driver.spawnCalls;
    const requestId = `req-${randomUUID()}`;
    expect((await retryAs(id, requestId)).status).toBe(202);
    // The same request again is the same update; a new request while it builds is refused.
    expect((await retryAs(id, requestId)).status).toBe(202);
    const inFlight = await retryAs(id);
    expect(inFlight.status).toBe(409);
    expect(inFlight.body.conflictingRequest.message).toBe(
      `Cannot 'retry' instance ${id} while it is in vm_state building`,
    );
    const building = await stack.api('GET', `/v2.1/servers/${id}`);
    expect(building.body.server.status).toBe('BUILD');
    expect(building.body.server.fault).toBeUndefined();

    const active = await waitForStatus(stack, id, ['ACTIVE', 'ERROR']);
    expect(active.status).toBe('ACTIVE');
    expect((await retryAs(id, requestId)).status).toBe(202);
    await new Promise((r) => setTimeout(r, 500));
    expect(driver.spawnCalls - before).toBe(1);
    expect((await retryAs(id)).status).toBe(409);

    const actions = await stack.api('GET', `/v2.1/servers/${id}/os-instance-actions`);
    expect(actions.body.instanceActions.map((a: any) => [a.action, a.request_id === requestId])).toEqual([
      ['retry', true],
      ['create', false],
    ]);
    const retry = await stack.api('GET', `/v2.1/servers/${id}/os-instance-actions/${requestId}`, {
      token: ADMIN,
    });
    expect(retry.body.instanceAction.message).toBeNull();
    expect(retry.body.instanceAction.events.map((e: any) => [e.event, e.result, e.host])).toEqual([
      ['conductor_schedule_and_build_instances', 'Success', ''],
      ['compute__do_build_and_run_instance', 'Success', 'c1'],
    ]);
    driver.spawnLatencyMs = 0;
    expect((await stack.api('DELETE', `/v2.1/servers/${id}`)).status).toBe(204);
  });

  it('then a failed reservation retries every failed server once and ends ACTIVE', async () => {
    const driver = stack.drivers.c1;
    driver.failSpawn = 'reschedule';
    const rid = await create('batch', 2, 2, 'carol:team');
    expect((await settled(rid, 'carol:team')).servers_by_status).toEqual({ ERROR: 2 });
    driver.failSpawn = null;
    const before = driver.spawnCalls;
    const headers = { 'X-Openstack-Request-Id': `req-${randomUUID()}` };
    const send = () =>
      stack.api('POST', `/v2.1/os-reservations/${rid}/action`, {
        token: 'carol:team',
        body: { retry: {} },
        headers,
      });
    const first = await send();
    expect(first.status).toBe(202);
    expect(first.body.retried).toHaveLength(2);
    const again = await send();
    expect(again.status).toBe(202);
    expect(again.body.retried).toEqual([]);
    const done = await settled(rid, 'carol:team');
    expect(done.servers_by_status).toEqual({ ACTIVE: 2 });
    expect(driver.spawnCalls - before).toBe(2);
    expect(
      (
        await stack.api('POST', `/v2.1/os-reservations/${rid}/action`, {
          token: 'bob:other',
          body: { retry: {} },
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await stack.api('POST', `/v2.1/os-reservations/${rid}/action`, {
          token: 'carol:team',
          body: { nope: {} },
        })
      ).status,
    ).toBe(400);
  });

  it('then a server born without a valid host reserves quota again and builds once room appears', async () => {
    // The previous test left two servers on c1 (3 vCPUs): one more fits, two do not.
    const rid = await create('big', 2, 2, 'dave:lab');
    const failed = await settled(rid, 'dave:lab');
    expect(failed.servers_by_status).toEqual({ ERROR: 2 });
    expect(failed.servers[0].fault.message).toBe(
      'No valid host was found. There are not enough hosts available.',
    );
    const limits = async () =>
      (await stack.api('GET', '/v2.1/limits', { token: 'dave:lab' })).body.limits.absolute;
    expect((await limits()).totalInstancesUsed).toBe(0);

    await stack.startNode({ name: 'c2' });
    await eventually(async () => {
      let hosts = 0;
      for await (const _ of stack.client.workflow.list({ query: `NovaKind = 'host'` })) hosts++;
      return hosts === 2 ? true : undefined;
    });
    const r = await stack.api('POST', `/v2.1/os-reservations/${rid}/action`, {
      token: 'dave:lab',
      body: { retry: {} },
    });
    expect(r.status).toBe(202);
    expect(r.body.retried).toHaveLength(2);
    const done = await settled(rid, 'dave:lab');
    expect(done.servers_by_status).toEqual({ ACTIVE: 2 });
    expect((await limits()).totalInstancesUsed).toBe(2);
  });
});
