import { startStack, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: [{ name: 'e1' }] });
});
afterAll(async () => {
  await stack?.shutdown();
});

/** How many reservation workflows exist: a rejected request must start none. */
async function reservationCount(): Promise<number> {
  let n = 0;
  for await (const _ of stack.client.workflow.list({ query: `NovaKind = 'reservation'` })) n++;
  return n;
}

describe('when the request is bad', () => {
  const cases: [string, { raw?: string; body?: unknown }, string][] = [
    ['malformed JSON', { raw: '{"server": {' }, 'Malformed request body'],
    [
      'an unknown field',
      { body: { server: { name: 'a', flavorRef: '1', color: 'red' } } },
      "'color' was unexpected",
    ],
    [
      'an unknown top-level key',
      { body: { server: { name: 'a', flavorRef: '1' }, extra: 1 } },
      "'extra' was unexpected",
    ],
    ['a missing name', { body: { server: { flavorRef: '1' } } }, "'name' is a required property"],
    ['a missing flavorRef', { body: { server: { name: 'a' } } }, "'flavorRef' is a required property"],
    [
      'an unknown flavor',
      { body: { server: { name: 'a', flavorRef: '99' } } },
      'Flavor 99 could not be found.',
    ],
    [
      'a name of the wrong type',
      { body: { server: { name: 42, flavorRef: '1' } } },
      'field/attribute server/name',
    ],
    ['a name with trailing blanks', { body: { server: { name: 'a ', flavorRef: '1' } } }, 'server/name'],
    [
      'a bad imageRef',
      { body: { server: { name: 'a', flavorRef: '1', imageRef: 'nope' } } },
      'server/imageRef',
    ],
    [
      'min_count above max_count',
      { body: { server: { name: 'a', flavorRef: '1', min_count: 3, max_count: 2 } } },
      'min_count must be <= max_count',
    ],
    ['a zero count', { body: { server: { name: 'a', flavorRef: '1', min_count: 0 } } }, 'server/min_count'],
    [
      'a count that is not a number',
      { body: { server: { name: 'a', flavorRef: '1', max_count: 'two' } } },
      'server/max_count',
    ],
    [
      'a bad metadata key',
      { body: { server: { name: 'a', flavorRef: '1', metadata: { 'a/b': 'x' } } } },
      'server/metadata',
    ],
    ['a non-object body', { body: [1, 2] }, 'field/attribute body'],
  ];
  it.each(cases)('then %s gets a 400 badRequest naming it, and starts nothing', async (_what, req, text) => {
    const before = await reservationCount();
    const r = await stack.api('POST', '/v2.1/servers', req);
    expect(r.status).toBe(400);
    expect(r.body.badRequest.code).toBe(400);
    expect(r.body.badRequest.message).toContain(text);
    expect(await reservationCount()).toBe(before);
  });

  it('then more than 128 metadata items is a 403', async () => {
    const metadata = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, 'v']));
    const r = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'a', flavorRef: '1', imageRef: IMAGE, metadata } },
    });
    expect(r.status).toBe(403);
    expect(r.body.forbidden.message).toBe('Maximum number of metadata items exceeds 128');
  });

  it('then an unknown route or id is itemNotFound', async () => {
    const route = await stack.api('GET', '/v2.1/demo/nothing-here');
    expect(route.status).toBe(404);
    expect(route.body.itemNotFound.code).toBe(404);
    const id = await stack.api('GET', '/v2.1/servers/7b1b4c8e-0000-4000-8000-000000000000');
    expect(id.status).toBe(404);
    expect(id.body.itemNotFound.message).toBe(
      'Instance 7b1b4c8e-0000-4000-8000-000000000000 could not be found.',
    );
    const flavor = await stack.api('GET', '/v2.1/flavors/77');
    expect(flavor.body.itemNotFound.message).toBe('Flavor 77 could not be found.');
  });

  it('then no token is 401 and a bad action body is 400', async () => {
    const r = await stack.api('GET', '/v2.1/servers', { token: null });
    expect(r.status).toBe(401);
    expect(r.body.unauthorized.code).toBe(401);
    const a = await stack.api('POST', '/v2.1/servers/7b1b4c8e-0000-4000-8000-000000000000/action', {
      body: { explode: {} },
    });
    expect(a.status).toBe(400);
    expect(a.body.badRequest.message).toContain('explode');
  });

  it('then an unsupported microversion is refused and a supported one is echoed', async () => {
    const bad = await stack.api('GET', '/v2.1/flavors', {
      headers: { 'OpenStack-API-Version': 'compute 9.9' },
    });
    expect(bad.status).toBe(406);
    expect(bad.body.computeFault.message).toContain('not supported by the API');
    const ok = await stack.api('GET', '/v2.1/flavors', {
      headers: { 'OpenStack-API-Version': 'compute 2.47' },
    });
    expect(ok.headers.get('openstack-api-version')).toBe('compute 2.47');
    expect(ok.headers.get('x-openstack-nova-api-version')).toBe('2.47');
  });
});

describe('when two projects share the cloud', () => {
  it("then one project's server is 404 to the other, absent from its lists, and visible to admin", async () => {
    const created = await stack.api('POST', '/v2.1/servers', {
      token: 'bob:blue',
      body: { server: { name: 'private', flavorRef: '1', imageRef: IMAGE } },
    });
    expect(created.status).toBe(202);
    const id = created.body.server.id;
    expect((await stack.api('GET', `/v2.1/servers/${id}`, { token: 'carol:red' })).status).toBe(404);
    expect((await stack.api('DELETE', `/v2.1/servers/${id}`, { token: 'carol:red' })).status).toBe(404);
    const list = await stack.api('GET', '/v2.1/servers', { token: 'carol:red' });
    expect(list.body.servers.map((s: { id: string }) => s.id)).not.toContain(id);
    expect((await stack.api('GET', `/v2.1/servers/${id}`, { token: 'admin:ops' })).status).toBe(200);
    const wrongUrl = await stack.api('GET', `/v2.1/blue/servers/${id}`, { token: 'carol:red' });
    expect(wrongUrl.status).toBe(400);
    expect((await stack.api('DELETE', `/v2.1/servers/${id}`, { token: 'bob:blue' })).status).toBe(204);
  });
});

describe('when a client discovers versions and flavors', () => {
  it('then the version documents and the default flavors are there', async () => {
    const root = await stack.api('GET', '/', { token: null });
    expect(root.status).toBe(200);
    // Nova lists the legacy v2.0 first (SUPPORTED), then v2.1.
    expect(root.body.versions.map((v: { id: string }) => v.id)).toEqual(['v2.0', 'v2.1']);
    const v21 = await stack.api('GET', '/v2.1', { token: null });
    expect(v21.body.version).toMatchObject({ id: 'v2.1', status: 'CURRENT', min_version: '2.1' });
    const flavors = await stack.api('GET', '/v2.1/flavors/detail');
    expect(flavors.body.flavors.map((f: { name: string }) => f.name)).toEqual([
      'm1.tiny',
      'm1.small',
      'm1.medium',
      'm1.large',
      'm1.xlarge',
    ]);
    expect(flavors.body.flavors[2]).toMatchObject({ id: '3', vcpus: 2, ram: 4096, disk: 40 });
  });
});
