import { startStack, eventually, waitForStatus, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const ADMIN = 'admin:admin';
let stack: Stack;

beforeAll(async () => {
  // c1 has the most free RAM, so the spread weigher tries it first; its driver always asks to reschedule.
  stack = await startStack({
    hosts: [{ name: 'c1', driver: { failSpawn: 'reschedule', inventory: { ram: 65536 } } }, { name: 'c2' }],
  });
});
afterAll(async () => {
  await stack?.shutdown();
});

async function createOne(name: string): Promise<{ id: string; rid: string }> {
  const created = await stack.api('POST', '/v2.1/servers', {
    body: { server: { name, imageRef: IMAGE, flavorRef: '1' } },
  });
  expect(created.status).toBe(202);
  const active = await waitForStatus(stack, created.body.server.id, ['ACTIVE', 'ERROR'], ADMIN);
  expect(active.status).toBe('ACTIVE');
  return { id: active.id, rid: active['OS-EXT-SRV-ATTR:reservation_id'] ?? '' };
}

const v = (minor: number) => ({ 'OpenStack-API-Version': `compute 2.${minor}` });

describe('when a spawn fails on one host and is rescheduled to another', () => {
  it('then the create action shows both attempts, with host and traceback for admins only', async () => {
    const { id } = await createOne('resched');
    const list = await stack.api('GET', `/v2.1/servers/${id}/os-instance-actions`);
    expect(list.status).toBe(200);
    expect(list.body.instanceActions).toHaveLength(1);
    const [create] = list.body.instanceActions;
    expect(create).toMatchObject({
      action: 'create',
      instance_uuid: id,
      project_id: 'demo',
      user_id: 'alice',
    });
    expect(create.message).toBe('Error');
    expect(create.start_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);

    const show = (token: string, minor: number) =>
      stack.api('GET', `/v2.1/servers/${id}/os-instance-actions/${create.request_id}`, {
        token,
        headers: v(minor),
      });
    expect((await show('alice:demo', 1)).body.instanceAction.events).toBeUndefined();
    const owner = (await show('alice:demo', 51)).body.instanceAction;
    expect(owner.events.map((e: any) => [e.event, e.result])).toEqual([
      ['compute__do_build_and_run_instance', 'Error'],
      ['compute__do_build_and_run_instance', 'Success'],
    ]);
    expect(owner.events[0].traceback).toBeUndefined();
    expect(owner.events[0].host).toBeUndefined();
    const admin = (await show(ADMIN, 53)).body.instanceAction;
    expect(admin.events[0].traceback).toContain('fake spawn failure on purpose');
    expect(admin.events[1].traceback).toBeNull();
    expect(admin.events.map((e: any) => e.host)).toEqual(['c1', 'c2']);
    expect(admin.events[0].finish_time).toMatch(/\.\d{6}$/);

    const other = await stack.api('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: 'bob:other' });
    expect(other.status).toBe(404);
    const missing = await stack.api('GET', `/v2.1/servers/${id}/os-instance-actions/req-nope`);
    expect(missing.status).toBe(404);
  });

  it('then the history timeline lists each spawn attempt with its host, duration and failure', async () => {
    const { id } = await createOne('timeline');
    const wf = encodeURIComponent(`server/${id}`);
    const denied = await stack.api('GET', `/v2.1/os-workflows/${wf}/history`);
    expect(denied.status).toBe(403);
    const r = await stack.api('GET', `/v2.1/os-workflows/${wf}/history`, { token: ADMIN });
    expect(r.status).toBe(200);
    const { workflow, timeline } = r.body.history;
    expect(workflow).toMatchObject({
      workflow_id: `server/${id}`,
      type: 'serverWorkflow',
      status: 'RUNNING',
    });
    expect(workflow.web_ui_url).toBe(`http://localhost:8233/namespaces/${stack.namespace}/workflows/${wf}`);
    const spawns = timeline.filter((e: any) => e.kind === 'activity' && e.activity === 'spawn');
    expect(spawns.map((s: any) => [s.host, s.task_queue, s.result])).toEqual([
      ['c1', 'compute/c1', 'failed'],
      ['c2', 'compute/c2', 'completed'],
    ]);
    expect(spawns[0].failure).toEqual({
      message: expect.stringContaining('fake spawn failure on purpose'),
      type: 'RescheduleError',
    });
    expect(spawns[0].retry_state).toBe('non_retryable_failure');
    expect(spawns[0].attempt).toBe(1);
    expect(typeof spawns[1].duration_ms).toBe('number');
    expect(timeline.filter((e: any) => e.kind === 'status').map((e: any) => e.what)).toEqual([
      'BUILD',
      'ACTIVE',
    ]);
  });

  it('then the reservation history reads stage by stage and host histories read too', async () => {
    const created = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'staged', imageRef: IMAGE, flavorRef: '1', return_reservation_id: 'True' } },
    });
    const rid = created.body.reservation_id;
    await eventually(async () =>
      (await stack.api('GET', `/v2.1/os-reservations/${rid}`)).body.reservation.settled ? true : undefined,
    );
    const r = await stack.api(
      'GET',
      `/v2.1/os-workflows/${encodeURIComponent(`reservation/${rid}`)}/history`,
      {
        token: ADMIN,
      },
    );
    expect(r.status).toBe(200);
    const { stages, timeline, workflow } = r.body.history;
    expect(workflow.status).toBe('COMPLETED');
    expect(stages.map((s: any) => s.stage)).toEqual(['admit', 'schedule', 'spawn', 'settle', 'done']);
    const byStage = (name: string) =>
      timeline.filter((e: any) => e.kind === 'activity' && e.stage === name).map((e: any) => e.activity);
    expect(byStage('admit')).toEqual(['awaitAdmission']);
    expect(byStage('schedule')).toEqual(['scheduleServers']);
    expect(byStage('spawn')).toEqual(['startServers']);
    expect(timeline.some((e: any) => e.kind === 'signal' && e.what === 'serverBuilt')).toBe(true);

    const host = await stack.api('GET', `/v2.1/os-workflows/${encodeURIComponent('host/c2')}/history`, {
      token: ADMIN,
    });
    expect(host.status).toBe(200);
    expect(host.body.history.workflow.type).toBe('hostWorkflow');
    expect(host.body.history.timeline.some((e: any) => e.kind === 'update' && /claim/.test(e.what))).toBe(
      true,
    );
    const none = await stack.api('GET', `/v2.1/os-workflows/${encodeURIComponent('server/nope')}/history`, {
      token: ADMIN,
    });
    expect(none.status).toBe(404);
  });

  it('then a deleted server keeps its actions readable from 2.21 on', async () => {
    const { id } = await createOne('gone');
    expect((await stack.api('DELETE', `/v2.1/servers/${id}`)).status).toBe(204);
    await eventually(async () =>
      (await stack.api('GET', `/v2.1/servers/${id}`)).status === 404 ? true : undefined,
    );
    expect((await stack.api('GET', `/v2.1/servers/${id}/os-instance-actions`)).status).toBe(404);
    const r = await stack.api('GET', `/v2.1/servers/${id}/os-instance-actions`, { headers: v(21) });
    expect(r.status).toBe(200);
    expect(r.body.instanceActions.map((a: any) => a.action)).toEqual(['delete', 'create']);
    const del = r.body.instanceActions[0];
    const shown = await stack.api('GET', `/v2.1/servers/${id}/os-instance-actions/${del.request_id}`, {
      token: ADMIN,
      headers: v(21),
    });
    expect(shown.body.instanceAction.events.map((e: any) => [e.event, e.result])).toEqual([
      ['compute_terminate_instance', 'Success'],
    ]);
  });
});
