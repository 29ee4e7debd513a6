import { describeServerQuery } from '../entities/server/messages';
import { hostStateQuery } from '../entities/host/messages';
import { hostWorkflowId, reservationWorkflowId, serverWorkflowId } from '../common/names';
import type { ReservationRecord } from '../entities/reservation/types';
import { eventually, startStack, type Stack } from './support/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: [{ name: 'w1', driver: { spawnLatencyMs: 60_000 } }] });
});
afterAll(async () => {
  await stack?.shutdown();
});

describe('when a server is deleted while its spawn is still running', () => {
  it('then the spawn is interrupted at once, nothing is left on the host, and the request settles', async () => {
    const r = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'impatient', flavorRef: '1', return_reservation_id: true } },
    });
    const rid = r.body.reservation_id;
    const reservation = stack.client.workflow.getHandle(reservationWorkflowId(rid));
    const [id] = (await eventually(async () => {
      const rec = await reservation.query('describeReservation');
      return (rec as ReservationRecord).serverIds.length ? (rec as ReservationRecord).serverIds : undefined;
    })) as string[];
    const server = stack.client.workflow.getHandle(serverWorkflowId(id));
    await eventually(async () => {
      const rec = await server.query(describeServerQuery);
      return rec.taskState === 'spawning' && stack.drivers.w1.spawnCalls > 0 ? true : undefined;
    });

    const started = Date.now();
    expect((await stack.api('DELETE', `/v2.1/servers/${id}`)).status).toBe(204);
    await eventually(async () =>
      (await stack.api('GET', `/v2.1/servers/${id}`)).status === 404 ? true : undefined,
    );
    // The fake spawn takes a minute: the delete did not wait for it.
    expect(Date.now() - started).toBeLessThan(20_000);

    expect(stack.drivers.w1.instances.size).toBe(0);
    await eventually(async () => {
      const host = await stack.client.workflow.getHandle(hostWorkflowId('w1')).query(hostStateQuery);
      return Object.keys(host.allocations).length === 0 ? true : undefined;
    });
    const limits = await stack.api('GET', '/v2.1/limits');
    expect(limits.body.limits.absolute.totalInstancesUsed).toBe(0);

    const settled: ReservationRecord = await reservation.result();
    expect(settled.outcomes[id].status).toBe('DELETED');
    const record = await server.query(describeServerQuery);
    expect(record.actions.map((a) => a.action)).toEqual(['create', 'delete']);
    expect(record.actions[0].events[0].traceback).toContain('deleted while building');
  }, 60_000);
});
