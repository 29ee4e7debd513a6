import { startStack, type Stack } from './support/stack';

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
