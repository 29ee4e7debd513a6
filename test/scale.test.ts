import { temporal } from '@temporalio/proto';
import { reservationWorkflowId } from '../common/names';
import type { ReservationRecord } from '../entities/reservation/types';
import { startStack, type Stack } from './support/stack';

const big = { vcpus: 1024, ram: 1_048_576, disk: 100_000 };
/** Past one schedule call's 1000 servers and several start calls' 250: the request runs in chunks. */
const N = 1200;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    hosts: [
      { name: 's1', driver: { inventory: big } },
      { name: 's2', driver: { inventory: big } },
      { name: 's3', driver: { inventory: big } },
    ],
    maxCount: N,
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

describe(`when one request asks for ${N} servers`, () => {
  it(`then all ${N} go ACTIVE across the hosts, scheduled and started in chunks of small payloads`, async () => {
    const started = Date.now();
    const record = await createAndSettle(N);
    // ACTIVE servers are counted, not listed: the record (the workflow's result) stays small.
    expect(record.active).toBe(N);
    expect(record.outcomes).toEqual({});
    const perHost = Object.values(stack.drivers).map((d) => d.instances.size);
    expect(perHost.reduce((a, b) => a + b, 0)).toBe(N);
    for (const n of perHost) expect(n).toBeGreaterThan(N / 4);
    // Two schedule calls (1000 + 200) and five start calls (250 each), no payload near Temporal's
    // limits; the settle stage, a signal per server, continued as new before its history grew long.
    const runs: { runId: string; startTime: Date }[] = [];
    for await (const wf of stack.client.workflow.list({
      query: `WorkflowId = '${reservationWorkflowId(record.reservationId)}'`,
    }))
      runs.push({ runId: wf.runId, startTime: wf.startTime });
    expect(runs.length).toBeGreaterThan(1);
    let largest = 0;
    const scheduled: (string | null | undefined)[] = [];
    for (const run of runs) {
      const history = await stack.client.workflow
        .getHandle(reservationWorkflowId(record.reservationId), run.runId)
        .fetchHistory();
      const events = history.events ?? [];
      // 1000 and the signals that arrive while it continues as new (1663 once, on a slow day).
      expect(events.length).toBeLessThan(2500);
      for (const e of events) {
        largest = Math.max(largest, temporal.api.history.v1.HistoryEvent.encode(e).finish().length);
        if (e.activityTaskScheduledEventAttributes)
          scheduled.push(e.activityTaskScheduledEventAttributes.activityType?.name);
      }
    }
    expect(scheduled.filter((n) => n === 'scheduleServers')).toHaveLength(2);
    expect(scheduled.filter((n) => n === 'startServers')).toHaveLength(Math.ceil(N / 250));
    expect(largest).toBeLessThan(512 * 1024);
    console.log(
      `${N} servers ACTIVE in ${((Date.now() - started) / 1000).toFixed(1)} s; ${runs.length} runs; ` +
        `largest event ${Math.round(largest / 1024)} KB`,
    );
  }, 600_000);

  it('then 50 concurrent requests of 10 all settle ACTIVE too', async () => {
    const records = await Promise.all(Array.from({ length: 50 }, () => createAndSettle(10)));
    for (const rec of records) {
      expect(rec.active).toBe(10);
      expect(rec.outcomes).toEqual({});
    }
    const limits = await stack.api('GET', '/v2.1/limits', { token: 'scaler:scale' });
    expect(limits.body.limits.absolute.totalInstancesUsed).toBe(N + 500);
  }, 600_000);
});
