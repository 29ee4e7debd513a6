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
    // limits. A signal per server reports its build; the settle stage continues as new once a run's
    // history passes 1000 events while it still waits, so no run grows long. Reports that arrive
    // while the servers are still being started (all of them, when the builds outrun the start
    // stage) land in the first run before the settle stage begins.
    // The runs, first to last, followed back from the last through each run's predecessor.
    const id = reservationWorkflowId(record.reservationId);
    const runs: temporal.api.history.v1.IHistoryEvent[][] = [];
    for (let runId: string | undefined = undefined; ;) {
      const history = await stack.client.workflow.getHandle(id, runId).fetchHistory();
      runs.unshift(history.events ?? []);
      runId = runs[0][0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
      if (!runId) break;
    }
    let largest = 0;
    let reports = 0;
    const scheduled: (string | null | undefined)[] = [];
    for (const [i, events] of runs.entries()) {
      // 1000 and the signals that arrive while it continues as new (1663 once, on a slow day).
      expect(events.length).toBeLessThan(2500);
      const last = events[events.length - 1];
      if (i < runs.length - 1) expect(last.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
      else expect(last.workflowExecutionCompletedEventAttributes).toBeTruthy();
      // The settle stage continues as new at the first workflow task that sees a history past 1000
      // events while it still waits: from the task that began it (all of a later run), at most one
      // task past 1000 events completes — the one that ends the run.
      let settling = i > 0;
      let startedId = 0;
      let long = 0;
      for (const e of events) {
        largest = Math.max(largest, temporal.api.history.v1.HistoryEvent.encode(e).finish().length);
        if (e.activityTaskScheduledEventAttributes)
          scheduled.push(e.activityTaskScheduledEventAttributes.activityType?.name);
        if (e.workflowExecutionSignaledEventAttributes?.signalName === 'serverBuilt') reports++;
        if (e.workflowTaskStartedEventAttributes) startedId = Number(e.eventId);
        if (e.workflowTaskCompletedEventAttributes && startedId > 1000) long++;
        const status =
          e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.NovaStatus;
        if (!settling && status?.data && JSON.parse(Buffer.from(status.data).toString()) === 'settle') {
          settling = true;
          // The task that began the settle stage counts from here on.
          long = startedId > 1000 ? 1 : 0;
        }
      }
      if (settling) expect(long).toBeLessThanOrEqual(1);
    }
    expect(reports).toBeGreaterThanOrEqual(N);
    expect(scheduled.filter((n) => n === 'scheduleServers')).toHaveLength(2);
    expect(scheduled.filter((n) => n === 'startServers')).toHaveLength(Math.ceil(N / 250));
    expect(largest).toBeLessThan(512 * 1024);
    // The ids travel once, in the memo readers list the servers from (revision 3): each run's start
    // event carried them twice, in the input or the record it carried too (765 KB at 10,000).
    for (const events of runs) {
      const start = Buffer.from(temporal.api.history.v1.HistoryEvent.encode(events[0]).finish()).toString(
        'latin1',
      );
      for (const sid of [record.serverIds[0], record.serverIds[N - 1]])
        expect(start.split(sid).length - 1).toBe(1);
    }
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
