import { hostWorkflowId } from '../common/names';
import { hostStateQuery } from '../entities/host/messages';
import { eventually, startStack, waitForStatus, type Stack } from './support/stack';

const ADMIN = 'admin:admin';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: [{ name: 'ag1' }, { name: 'ag2' }] });
});
afterAll(async () => {
  await stack?.shutdown();
});

const api = (method: string, p: string, body?: unknown, token = ADMIN) =>
  stack.api(method, p, { token, body });

describe('when an admin manages host aggregates (os-aggregates)', () => {
  it('then one is created, gets hosts and metadata (its zone), and is listed and shown', async () => {
    const created = await api('POST', '/v2.1/os-aggregates', {
      aggregate: { name: 'rack-1', availability_zone: 'london' },
    });
    expect(created.status).toBe(200);
    expect(created.body.aggregate).toMatchObject({
      name: 'rack-1',
      availability_zone: 'london',
      deleted: false,
    });
    expect(created.body.aggregate.hosts).toBeUndefined();
    const id = created.body.aggregate.id;
    expect((await api('POST', '/v2.1/os-aggregates', { aggregate: { name: 'rack-1' } })).status).toBe(409);

    const added = await api('POST', `/v2.1/os-aggregates/${id}/action`, { add_host: { host: 'ag1' } });
    expect(added.body.aggregate.hosts).toEqual(['ag1']);
    expect(
      (await api('POST', `/v2.1/os-aggregates/${id}/action`, { add_host: { host: 'ag1' } })).status,
    ).toBe(409);
    const unknown = await api('POST', `/v2.1/os-aggregates/${id}/action`, { add_host: { host: 'nope' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.itemNotFound.message).toBe('Compute host nope could not be found.');

    const meta = await api('POST', `/v2.1/os-aggregates/${id}/action`, {
      set_metadata: { metadata: { availability_zone: 'paris', ssd: 'true' } },
    });
    expect(meta.body.aggregate).toMatchObject({
      availability_zone: 'paris',
      metadata: { availability_zone: 'paris', ssd: 'true' },
    });
    const renamed = await api('PUT', `/v2.1/os-aggregates/${id}`, { aggregate: { name: 'rack-one' } });
    expect(renamed.body.aggregate.name).toBe('rack-one');
    const shown = await api('GET', `/v2.1/os-aggregates/${id}`);
    expect(shown.body.aggregate).toMatchObject({ id, name: 'rack-one', hosts: ['ag1'] });
    const list = await api('GET', '/v2.1/os-aggregates');
    expect(list.body.aggregates.map((a: { id: number }) => a.id)).toContain(id);
  });

  it('then one with hosts cannot be deleted, and without them it can; bad input and members are refused', async () => {
    const { body } = await api('POST', '/v2.1/os-aggregates', { aggregate: { name: 'rack-2' } });
    const id = body.aggregate.id;
    await api('POST', `/v2.1/os-aggregates/${id}/action`, { add_host: { host: 'ag2' } });
    expect((await api('DELETE', `/v2.1/os-aggregates/${id}`)).status).toBe(400);
    expect(
      (await api('POST', `/v2.1/os-aggregates/${id}/action`, { remove_host: { host: 'ag2' } })).status,
    ).toBe(200);
    expect((await api('DELETE', `/v2.1/os-aggregates/${id}`)).status).toBe(200);
    expect((await api('GET', `/v2.1/os-aggregates/${id}`)).status).toBe(404);
    expect((await api('POST', '/v2.1/os-aggregates', { aggregate: { name: '' } })).status).toBe(400);
    expect((await api('POST', '/v2.1/os-aggregates/1/action', { explode: {} })).status).toBe(400);
    expect((await api('GET', '/v2.1/os-aggregates', undefined, 'member:proj')).status).toBe(403);
    const member = await api(
      'POST',
      `/v2.1/os-aggregates/${id}/action`,
      { add_host: { host: 'ag1' } },
      'member:proj',
    );
    expect(member.status).toBe(403);
    expect(member.body.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-aggregates:add_host to be performed.",
    );
  });
});

describe('when aggregates put hosts in zones and keep hosts for projects', () => {
  const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
  const action = (id: number, body: unknown) => api('POST', `/v2.1/os-aggregates/${id}/action`, body);
  const build = async (token: string, server: Record<string, unknown>) => {
    const r = await stack.api('POST', '/v2.1/servers', {
      token,
      body: { server: { flavorRef: '1', imageRef: IMAGE, ...server } },
    });
    expect(r.status).toBe(202);
    const s = await waitForStatus(stack, r.body.server.id, ['ACTIVE', 'ERROR'], token);
    const host = (await api('GET', `/v2.1/servers/${s.id}`)).body.server['OS-EXT-SRV-ATTR:host'];
    return { status: s.status as string, host: host as string | null, view: s };
  };
  let zoned: number;
  /**
   * Waits until the host's entity holds what its aggregates told it, and then for the scheduler's
   * one-second cache of host states to pass (metadata reaches schedules within that second).
   */
  const told = async (host: string, ok: (attributes: string) => boolean) => {
    await eventually(
      async () => {
        const state = await stack.client.workflow.getHandle(hostWorkflowId(host)).query(hostStateQuery);
        return ok(JSON.stringify(state.attributes ?? {})) ? true : undefined;
      },
      20_000,
      `${host}'s attributes`,
    );
    await new Promise((r) => setTimeout(r, 1100));
  };

  it("then a zone set on an aggregate is its hosts' zone: listed, shown by os-services and honoured by the scheduler", async () => {
    const { body } = await api('POST', '/v2.1/os-aggregates', {
      aggregate: { name: 'z-rack', availability_zone: 'oslo' },
    });
    zoned = body.aggregate.id;
    expect((await action(zoned, { add_host: { host: 'ag2' } })).status).toBe(200);
    const zones = await eventually(
      async () => {
        const r = await stack.api('GET', '/v2.1/os-availability-zone');
        const names = r.body.availabilityZoneInfo.map((z: { zoneName: string }) => z.zoneName);
        return names.includes('oslo') ? names : undefined;
      },
      20_000,
      'the oslo zone',
    );
    expect(zones).not.toContain('nova');
    const services = await api('GET', '/v2.1/os-services?binary=nova-compute');
    expect(services.body.services.find((s: { host: string }) => s.host === 'ag2').zone).toBe('oslo');

    for (let i = 0; i < 2; i++)
      expect(await build('alice:demo', { name: `oslo-${i}`, availability_zone: 'oslo' })).toMatchObject({
        status: 'ACTIVE',
        host: 'ag2',
      });
    // A server asked for no zone shows its host's.
    const anywhere = await build('alice:demo', { name: 'anywhere' });
    expect(anywhere.view['OS-EXT-AZ:availability_zone']).toBe(anywhere.host === 'ag2' ? 'oslo' : 'paris');
    const elsewhere = await build('alice:demo', { name: 'nowhere', availability_zone: 'nova' });
    expect(elsewhere.status).toBe('ERROR');
    expect(elsewhere.view.fault.message).toContain('No valid host');

    // One host, one zone: ag2 cannot join an aggregate of another zone.
    const other = await api('POST', '/v2.1/os-aggregates', {
      aggregate: { name: 'z-rack-2', availability_zone: 'bergen' },
    });
    const clash = await action(other.body.aggregate.id, { add_host: { host: 'ag2' } });
    expect(clash.status).toBe(409);
    expect(clash.body.conflictingRequest.message).toContain("already in availability zone(s) ['oslo']");
  }, 90_000);

  it('then filter_tenant_id keeps its hosts for those projects only', async () => {
    expect((await action(zoned, { set_metadata: { metadata: { filter_tenant_id: 'blue' } } })).status).toBe(
      200,
    );
    await told('ag2', (a) => a.includes('blue'));
    const refused = await build('alice:demo', { name: 'not-blue', availability_zone: 'oslo' });
    expect(refused.status).toBe('ERROR');
    expect(await build('bob:blue', { name: 'blue', availability_zone: 'oslo' })).toMatchObject({
      status: 'ACTIVE',
      host: 'ag2',
    });
    expect((await action(zoned, { set_metadata: { metadata: { filter_tenant_id: null } } })).status).toBe(
      200,
    );
    await told('ag2', (a) => !a.includes('blue'));
    expect(await build('alice:demo', { name: 'open-again', availability_zone: 'oslo' })).toMatchObject({
      status: 'ACTIVE',
    });
  }, 90_000);

  it("then 'zone:host' forces the host for admins, and is refused to members", async () => {
    const member = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'forced', flavorRef: '1', imageRef: IMAGE, availability_zone: 'oslo:ag2' } },
    });
    expect(member.status).toBe(403);
    expect(member.body.forbidden.message).toContain('os_compute_api:servers:create:forced_host');
    const admin = await build(ADMIN, { name: 'forced', availability_zone: 'oslo:ag2' });
    expect(admin).toMatchObject({ status: 'ACTIVE', host: 'ag2' });
    expect(admin.view['OS-EXT-AZ:availability_zone']).toBe('oslo');
  }, 90_000);
});
