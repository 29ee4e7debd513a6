import { startStack, eventually, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    hosts: [
      { name: 'c1', driver: { spawnLatencyMs: 2500 } },
      { name: 'c2', driver: { spawnLatencyMs: 2500 } },
    ],
  });
});
afterAll(async () => {
  await stack?.shutdown();
});

/** Reads a Server-Sent Events response to its end: every event's name and parsed data. */
async function readEvents(url: string, token: string): Promise<{ event: string; data: any }[]> {
  const res = await fetch(url, { headers: { 'X-Auth-Token': token, Accept: 'text/event-stream' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim() && !block.startsWith(':'))
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
      const data = lines.find((l) => l.startsWith('data: '))?.slice(6) ?? 'null';
      return { event, data: JSON.parse(data) };
    });
}

async function createSlow(min: number, max: number): Promise<string> {
  const created = await stack.api('POST', '/v2.1/servers', {
    body: {
      server: {
        name: 'slow',
        imageRef: IMAGE,
        flavorRef: '1',
        min_count: min,
        max_count: max,
        return_reservation_id: true,
      },
    },
  });
  expect(created.status).toBe(202);
  return created.body.reservation_id;
}

describe('when a slow create is tracked through its reservation', () => {
  it('then the view walks the stages, shows spawning servers with progress, and ends ACTIVE', async () => {
    const rid = await createSlow(2, 2);
    const first = await stack.api('GET', `/v2.1/os-reservations/${rid}`);
    expect(first.status).toBe(200);
    const view = first.body.reservation;
    expect(view.reservation_id).toBe(rid);
    expect(view.requested).toEqual({ min_count: 2, max_count: 2 });
    expect(view.admitted).toBe(2);
    expect(view.workflow_id).toBe(`reservation/${rid}`);
    expect(view.workflow_url).toBe(
      `http://localhost:8233/namespaces/${stack.namespace}/workflows/${encodeURIComponent(`reservation/${rid}`)}`,
    );
    expect(view.settled).toBe(false);
    expect(view.servers_by_status.BUILD).toBe(2);

    const spawning = await eventually(async () => {
      const r = await stack.api('GET', `/v2.1/os-reservations/${rid}`);
      const s = r.body.reservation.servers.find(
        (x: any) => x.task_state === 'spawning' && x.progress > 0 && x.progress < 100,
      );
      return s ? { view: r.body.reservation, server: s } : undefined;
    });
    expect(spawning.view.stage).toMatch(/^(spawn|settle)$/);
    expect(spawning.server.status).toBe('BUILD');
    expect(spawning.server.host).toBeUndefined();
    const single = await stack.api('GET', `/v2.1/servers/${spawning.server.id}`);
    // The single server view reads the same live progress from the spawn activity's heartbeat.
    expect(single.body.server.progress).toBeGreaterThanOrEqual(spawning.server.progress);
    // So does the detail list.
    const listed = await stack.api('GET', `/v2.1/servers/detail?reservation_id=${rid}`);
    const row = listed.body.servers.find((x: any) => x.id === spawning.server.id);
    if (row.status === 'BUILD') expect(row.progress).toBeGreaterThan(0);

    const done = await eventually(async () => {
      const r = await stack.api('GET', `/v2.1/os-reservations/${rid}`);
      return r.body.reservation.settled ? r.body.reservation : undefined;
    });
    expect(done.stage).toBe('done');
    expect(done.servers_by_status).toEqual({ ACTIVE: 2 });
    expect(done.servers.map((s: any) => s.name).sort()).toEqual(['slow-1', 'slow-2']);
    expect(done.servers.every((s: any) => s.progress === 100 && s.attempts.length === 1)).toBe(true);
    expect(Object.keys(done.timings.stages)).toEqual(['admit', 'schedule', 'spawn', 'settle', 'done']);
    expect(done.timings.finished).toBe(done.timings.stages.done);

    const admin = await stack.api('GET', `/v2.1/os-reservations/${rid}`, { token: 'admin:admin' });
    expect(admin.body.reservation.servers.every((s: any) => ['c1', 'c2'].includes(s.host))).toBe(true);
  });

  it('then the event stream pushes a snapshot per change from BUILD to ACTIVE and ends when settled', async () => {
    const rid = await createSlow(1, 3);
    const events = await readEvents(`${stack.url}/v2.1/os-reservations/${rid}?stream=1`, 'alice:demo');
    const snapshots = events.filter((e) => e.event === 'snapshot').map((e) => e.data);
    expect(events[events.length - 1].event).toBe('end');
    expect(snapshots.length).toBeGreaterThanOrEqual(3);
    expect(snapshots[0].servers_by_status.BUILD).toBe(3);
    const last = snapshots[snapshots.length - 1];
    expect(last.settled).toBe(true);
    expect(last.servers_by_status).toEqual({ ACTIVE: 3 });
    // Only changes are pushed: no two consecutive snapshots are equal.
    for (let i = 1; i < snapshots.length; i++)
      expect(JSON.stringify(snapshots[i])).not.toBe(JSON.stringify(snapshots[i - 1]));
    expect(snapshots.some((s) => s.servers.some((x: any) => x.progress > 0 && x.progress < 100))).toBe(true);
    expect(snapshots.some((s) => s.stage === 'schedule' || s.stage === 'spawn' || s.stage === 'settle')).toBe(
      true,
    );

    // The same stream under its /events name ends at once for a settled request.
    const again = await readEvents(`${stack.url}/v2.1/os-reservations/${rid}/events`, 'alice:demo');
    expect(again.map((e) => e.event)).toEqual(['snapshot', 'end']);
  });

  it('then another project gets 404 for the reservation and its stream, and an unknown id is 404', async () => {
    const rid = await createSlow(1, 1);
    const other = await stack.api('GET', `/v2.1/os-reservations/${rid}`, { token: 'bob:other' });
    expect(other.status).toBe(404);
    expect(other.body.itemNotFound.message).toBe(`Reservation ${rid} could not be found.`);
    const stream = await stack.api('GET', `/v2.1/os-reservations/${rid}/events`, { token: 'bob:other' });
    expect(stream.status).toBe(404);
    expect((await stack.api('GET', '/v2.1/os-reservations/r-00000000')).status).toBe(404);
  });
});
