import { temporal } from '@temporalio/proto';
import { reserveQuotaOn } from '../entities/quota/client';
import { startReservation } from '../entities/reservation/client';
import { NovaError } from '../common/errors';
import { quotaWorkflowId, reservationWorkflowId } from '../common/names';
import type { ReservationRecord } from '../entities/reservation/types';
import { apiCreateRequest, eventually, startStack, waitForStatus, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const ADMIN = 'admin:admin';
const EventType = temporal.api.enums.v1.EventType;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: [{ name: 'a1' }, { name: 'a2' }], admissionWaitMs: 1000 });
});
afterAll(async () => {
  await stack?.shutdown();
});

const setInstances = async (project: string, instances: number) =>
  expect(
    (
      await stack.api('PUT', `/v2.1/os-quota-sets/${project}`, {
        token: ADMIN,
        body: { quota_set: { instances } },
      })
    ).status,
  ).toBe(200);

const used = async (token: string) =>
  (await stack.api('GET', '/v2.1/limits', { token })).body.limits.absolute.totalInstancesUsed as number;

async function quotaUpdates(project: string): Promise<number> {
  const history = await stack.client.workflow.getHandle(quotaWorkflowId(project)).fetchHistory();
  return (history.events ?? []).filter(
    (e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  ).length;
}

describe('when many creates of one project arrive at once', () => {
  it('then they share quota updates, exactly the quota is admitted, and every admitted one builds', async () => {
    const token = 'burst:proj-burst';
    await setInstances('proj-burst', 10);
    const before = await quotaUpdates('proj-burst');
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        stack.api('POST', '/v2.1/servers', {
          token,
          body: { server: { name: `b-${i}`, imageRef: IMAGE, flavorRef: '1' } },
        }),
      ),
    );
    const admitted = answers.filter((r) => r.status === 202);
    const refused = answers.filter((r) => r.status === 403);
    expect(admitted).toHaveLength(10);
    expect(refused).toHaveLength(14);
    expect(refused[0].body.forbidden.message).toMatch(
      /^Quota exceeded for instances: Requested 1, but already used 10 of 10 instances/,
    );
    // Group commit: far fewer updates on the quota entity than creates.
    expect((await quotaUpdates('proj-burst')) - before).toBeLessThan(24);
    for (const r of admitted) await waitForStatus(stack, r.body.server.id, ['ACTIVE'], token);
    expect(await used(token)).toBe(10);
    const list = await stack.api('GET', '/v2.1/servers', { token });
    expect(list.body.servers).toHaveLength(10);
  });
});

describe('when quota refused a reservation and is freed afterwards', () => {
  it('then asking again for that reservation still gets the refusal, and a new one is admitted', async () => {
    const token = 'late:proj-late';
    await setInstances('proj-late', 1);
    const first = await stack.api('POST', '/v2.1/servers', {
      token,
      body: { server: { name: 'one', imageRef: IMAGE, flavorRef: '1' } },
    });
    expect(first.status).toBe(202);
    const ask = (reservationId: string) =>
      reserveQuotaOn(stack.client, {
        projectId: 'proj-late',
        reservationId,
        keys: [`${reservationId}-server`],
        minCount: 1,
        perInstance: { cores: 1, ram: 512 },
      });
    const refusal = await ask('r-refused1').catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(NovaError);
    expect((refusal as NovaError).status).toBe(403);
    await setInstances('proj-late', 5);
    // The reservation and the API may ask at different times; they must get one answer.
    const again = await ask('r-refused1').catch((e: unknown) => e);
    expect((again as NovaError).message).toBe((refusal as NovaError).message);
    expect(await ask('r-fresh001')).toEqual({ allowed: 1 });
    expect(await used(token)).toBe(2);
  });
});

describe('when the API dies after starting a reservation and before its quota update', () => {
  it('then the reservation reserves for itself and builds, holding quota once', async () => {
    const token = 'orphan:proj-orphan';
    const req = apiCreateRequest(
      stack,
      { userId: 'orphan', projectId: 'proj-orphan', requestId: 'req-orphan' },
      { name: 'orphan', imageRef: IMAGE, flavorRef: '1', min_count: 2 },
    );
    // Exactly what the API has done when it dies here: the seat's update is never sent.
    await startReservation(stack.client, req, 'reserve-batch/never-sent');
    const record: ReservationRecord = await stack.client.workflow
      .getHandle(reservationWorkflowId(req.reservationId))
      .result();
    expect(record.admitted).toBe(2);
    expect(record.serverIds).toEqual(req.serverIds);
    for (const id of record.serverIds) await waitForStatus(stack, id, ['ACTIVE'], token);
    await eventually(async () => ((await used(token)) === 2 ? true : undefined));
  });
});
