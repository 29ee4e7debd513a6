import { reservationWorkflowId } from '../common/names';
import type { ReservationRecord } from '../entities/reservation/types';
import { startStack, type Stack } from './support/stack';

const big = { vcpus: 512, ram: 1_048_576, disk: 100_000 };
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    hosts: [
      { name: 's1', driver: { inventory: big } },
      { name: 's2', driver: { inventory: big } },
      { name: 's3', driver: { inventory: big } },
    ],
  });
  await stack.api('PUT', '/v2.1/os-quota-sets/scale', {
    token: 'admin:admin',
    body: { quota_set: { instances: -1, cores: -1, ram: -1 } },
  });
});
afterAll(async () => {
  await stack?.shutdown();
});

async function createAndSettle(count: number): Promise<ReservationRecord> {
  const r = await stack.api('POST', '/v2.1/servers', {
    token: 'scaler:scale',
    body: { server: { name: 'n', flavorRef: '1', min_count: count, return_reservation_id: true } },
  });
  expect(r.status).toBe(202);
  return stack.client.workflow.getHandle(reservationWorkflowId(r.body.reservation_id)).result();
}

describe('when one request asks for 1000 servers', () => {
  it('then all 1000 go ACTIVE across the hosts on the embedded dev server', async () => {
    const started = Date.now();
    const record = await createAndSettle(1000);
    const outcomes = Object.values(record.outcomes);
    expect(outcomes).toHaveLength(1000);
    expect(outcomes.filter((o) => o.status === 'ACTIVE')).toHaveLength(1000);
    const perHost = new Map<string, number>();
    for (const o of outcomes) perHost.set(o.host!, (perHost.get(o.host!) ?? 0) + 1);
    expect([...perHost.keys()].sort()).toEqual(['s1', 's2', 's3']);
    for (const n of perHost.values()) expect(n).toBeGreaterThan(300);
    const instances = Object.values(stack.drivers).reduce((n, d) => n + d.instances.size, 0);
    expect(instances).toBe(1000);
    console.log(`1000 servers ACTIVE in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 600_000);

  it('then 50 concurrent requests of 10 all settle ACTIVE too', async () => {
    const records = await Promise.all(Array.from({ length: 50 }, () => createAndSettle(10)));
    for (const rec of records) {
      expect(Object.values(rec.outcomes).filter((o) => o.status === 'ACTIVE')).toHaveLength(10);
    }
    const limits = await stack.api('GET', '/v2.1/limits', { token: 'scaler:scale' });
    expect(limits.body.limits.absolute.totalInstancesUsed).toBe(1500);
  }, 600_000);
});
