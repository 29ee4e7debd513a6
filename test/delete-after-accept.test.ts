import { startReservation } from '../entities/reservation/client';
import { hostStateQuery } from '../entities/host/messages';
import { hostWorkflowId, reservationWorkflowId } from '../common/names';
import type { ReservationRecord } from '../entities/reservation/types';
import { mapLimit } from '../common/concurrency';
import { apiCreateRequest, eventually, startStack, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const HOSTS = ['d1', 'd2'];
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: HOSTS.map((name) => ({ name, driver: { spawnLatencyMs: 200 } })) });
  await stack.api('PUT', '/v2.1/os-quota-sets/race', {
    token: 'admin:admin',
    body: { quota_set: { instances: -1, cores: -1, ram: -1 } },
  });
});
afterAll(async () => {
  await stack?.shutdown();
});

const TOKEN = 'racer:race';

async function allocations(): Promise<number> {
  let n = 0;
  for (const h of HOSTS) {
    const s = await stack.client.workflow.getHandle(hostWorkflowId(h)).query(hostStateQuery);
    n += Object.keys(s.allocations).length;
  }
  return n;
}

/** Waits until the project lists no server and holds no quota, and no host holds a claim. */
async function expectNothingLeft(deleteListed = false) {
  let left: unknown;
  // Generous: after a burst the builds and deletes catch up at the machine's pace.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const list = await stack.api('GET', '/v2.1/servers', { token: TOKEN });
    await mapLimit(deleteListed ? (list.body.servers as { id: string }[]) : [], 8, async (s) => {
      const r = await stack.api('DELETE', `/v2.1/servers/${s.id}`, { token: TOKEN });
      expect([204, 404, 409]).toContain(r.status);
    });
    const limits = await stack.api('GET', '/v2.1/limits', { token: TOKEN });
    left = {
      servers: list.body.servers.map((s: { id: string }) => s.id),
      instances: limits.body.limits.absolute.totalInstancesUsed,
      cores: limits.body.limits.absolute.totalCoresUsed,
      claims: await allocations(),
    };
    if (JSON.stringify(left) === JSON.stringify({ servers: [], instances: 0, cores: 0, claims: 0 })) return;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(left).toEqual({ servers: [], instances: 0, cores: 0, claims: 0 });
}

/** POST, then at once GET and DELETE the server the 202 named. */
async function createThenDelete(i: number, multiple = false) {
  const created = await stack.api('POST', '/v2.1/servers', {
    token: TOKEN,
    body: {
      server: {
        name: `r${i}`,
        flavorRef: '1',
        imageRef: IMAGE,
        ...(multiple ? { min_count: 2, max_count: 3 } : {}),
      },
    },
  });
  expect(created.status).toBe(202);
  const id = created.body.server.id;
  const shown = await stack.api('GET', `/v2.1/servers/${id}`, { token: TOKEN });
  const deleted = await stack.api('DELETE', `/v2.1/servers/${id}`, { token: TOKEN });
  return { id, shown: shown.status, deleted: deleted.status, body: deleted.body };
}

describe('when a server is deleted as soon as its 202 arrives', () => {
  it('then 50 pairs one at a time all find the server, all deletes win, and nothing is leaked', async () => {
    const outcomes = [];
    for (let i = 0; i < 50; i++) outcomes.push(await createThenDelete(i));
    expect(outcomes.filter((o) => o.shown !== 200)).toEqual([]);
    expect(outcomes.filter((o) => o.deleted !== 204)).toEqual([]);
    await expectNothingLeft();
  }, 180_000);

  it('then 16 concurrent callers (some creating three at once) leak nothing either', async () => {
    const outcomes = await mapLimit(
      Array.from({ length: 64 }, (_, i) => i),
      16,
      (i) => createThenDelete(i, i % 4 === 0),
    );
    expect(outcomes.filter((o) => o.shown !== 200)).toEqual([]);
    expect(outcomes.filter((o) => o.deleted !== 204)).toEqual([]);
    // The other servers of the multiple creates are still there: delete what is listed until all is gone.
    await expectNothingLeft(true);
  }, 180_000);

  it('then 64 callers creating and deleting for 15 s end with no server, no quota and no claim left', async () => {
    const deadline = Date.now() + 15_000;
    const tally = { pairs: 0, lost: [] as unknown[] };
    await Promise.all(
      Array.from({ length: 64 }, async (_, caller) => {
        for (let i = 0; Date.now() < deadline; i++) {
          const o = await createThenDelete(caller * 1000 + i, i % 5 === 0);
          tally.pairs++;
          if (o.shown !== 200 || o.deleted !== 204) tally.lost.push(o);
        }
      }),
    );
    console.log(`64 callers: ${tally.pairs} create/delete pairs in 15 s`);
    expect(tally.lost).toEqual([]);
    await expectNothingLeft(true);
  }, 240_000);
});

describe('when a server is deleted while its reservation still waits for its admission', () => {
  it('then the delete is answered once it is admitted, and the server goes (quota and claim released) while the rest builds', async () => {
    const req = apiCreateRequest(
      stack,
      { userId: 'racer', projectId: 'race', requestId: 'req-cancel-early' },
      { name: 'pair', imageRef: IMAGE, flavorRef: '1', min_count: 2 },
    );
    // The quota update this names is never sent: the reservation sits in its admit stage for 5 s.
    await startReservation(stack.client, req, 'reserve-batch/never-sent');
    const [dropped, kept] = req.serverIds!;
    expect((await stack.api('GET', `/v2.1/servers/${dropped}`, { token: TOKEN })).body.server.status).toBe(
      'BUILD',
    );
    // The reservation admits, schedules and starts in one workflow task (revision 2): the delete is
    // taken once that task ends, and goes to the server's entity.
    expect((await stack.api('DELETE', `/v2.1/servers/${dropped}`, { token: TOKEN })).status).toBe(204);
    await eventually(async () =>
      (await stack.api('GET', `/v2.1/servers/${dropped}`, { token: TOKEN })).status === 404
        ? true
        : undefined,
    );
    // A second delete of it finds nothing to delete.
    expect((await stack.api('DELETE', `/v2.1/servers/${dropped}`, { token: TOKEN })).status).toBe(404);

    const record: ReservationRecord = await stack.client.workflow
      .getHandle(reservationWorkflowId(req.reservationId))
      .result();
    expect(record.outcomes[dropped].status).toBe('DELETED');
    // ACTIVE servers are counted, not listed: the outcomes hold only those that did not go ACTIVE.
    expect(record.outcomes[kept]).toBeUndefined();
    expect(record.active).toBe(1);
    await eventually(async () => {
      const limits = await stack.api('GET', '/v2.1/limits', { token: TOKEN });
      return limits.body.limits.absolute.totalInstancesUsed === 1 && (await allocations()) === 1
        ? true
        : undefined;
    });
    expect((await stack.api('DELETE', `/v2.1/servers/${kept}`, { token: TOKEN })).status).toBe(204);
    await expectNothingLeft();
  }, 60_000);
});
