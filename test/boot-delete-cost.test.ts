import { temporal } from '@temporalio/proto';
import { hostWorkflowId, reservationWorkflowId, serverWorkflowId } from '../common/names';
import { hostStateQuery } from '../entities/host/messages';
import type { ReservationRecord } from '../entities/reservation/types';
import { eventually, startStack, waitForStatus, type Stack } from './support/stack';

const EventType = temporal.api.enums.v1.EventType;
const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const TOKEN = 'coster:cost';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: [{ name: 'c1' }] });
});
afterAll(async () => {
  await stack?.shutdown();
});

async function events(workflowId: string) {
  return (await stack.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}

describe('when one server is created and deleted (a fleet churn iteration)', () => {
  it('then its entity tells the others in local activities: no workflow task waits on a signal it sent', async () => {
    const r = await stack.api('POST', '/v2.1/servers', {
      token: TOKEN,
      body: { server: { name: 'cost', flavorRef: '1', imageRef: IMAGE, return_reservation_id: true } },
    });
    expect(r.status).toBe(202);
    const reservation: ReservationRecord = await stack.client.workflow
      .getHandle(reservationWorkflowId(r.body.reservation_id))
      .result();
    // The build's report reached the reservation.
    expect(reservation.active).toBe(1);
    const [id] = reservation.serverIds;
    await waitForStatus(stack, id, ['ACTIVE'], TOKEN);
    expect((await stack.api('DELETE', `/v2.1/servers/${id}`, { token: TOKEN })).status).toBe(204);
    await stack.client.workflow.getHandle(serverWorkflowId(id)).result();

    // What the delete gave back arrived: the host's claim and the project's quota.
    await eventually(async () => {
      const host = await stack.client.workflow.getHandle(hostWorkflowId('c1')).query(hostStateQuery);
      const limits = await stack.api('GET', '/v2.1/limits', { token: TOKEN });
      return Object.keys(host.allocations).length === 0 &&
        limits.body.limits.absolute.totalInstancesUsed === 0
        ? true
        : undefined;
    });

    const history = await events(serverWorkflowId(id));
    const count = (t: number) => history.filter((e) => e.eventType === t).length;
    // Report, claim release and quota release: no signal commands, whose deliveries each woke the
    // server for a workflow task that did nothing (8 tasks per boot+delete before, with a network).
    expect(count(EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED)).toBe(0);
    expect(count(EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED)).toBe(0);
    // Tell (twice), and the network's prepare and release: local activities, no activity task of
    // their own — the spawn and the destroy are the only activity tasks (6 tasks before).
    expect(count(EventType.EVENT_TYPE_MARKER_RECORDED)).toBe(4);
    expect(count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toBe(2);
    // start (network prepared), spawned, delete accepted, destroyed (network and claim released).
    expect(count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)).toBeLessThanOrEqual(4);

    // The reservation admitted, scheduled and started its server in one workflow task (3 before:
    // scheduling was an activity); the build's report is the other.
    const booked = await events(reservationWorkflowId(r.body.reservation_id));
    const countIn = (t: number) => booked.filter((e) => e.eventType === t).length;
    expect(countIn(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toBe(0);
    expect(countIn(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)).toBeLessThanOrEqual(2);
  });
});
