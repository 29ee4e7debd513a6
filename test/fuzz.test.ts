import fc from 'fast-check';
import { startStack, waitForStatus, type Stack } from './support/stack';

/**
 * Thousands of mutated requests across the routes, seeded and bounded in time. Whatever a client
 * sends: no 5xx, every error a Nova fault, no workflow started by a request that was refused, and
 * every part of the stack still working afterwards.
 */

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const PROJECT = 'fuzz';
const MEMBER = `fuzzer:${PROJECT}`;
const RUNS = 3000;
let stack: Stack;
let realServer: string;

beforeAll(async () => {
  stack = await startStack({ hosts: [{ name: 'z1' }, { name: 'z2' }] });
  // No quota refusal in this project: every create that is refused here is refused for its input.
  for (const project of [PROJECT, 'admin', 'elsewhere']) {
    const q = await stack.api('PUT', `/v2.1/os-quota-sets/${project}`, {
      token: 'admin:admin',
      body: { quota_set: { instances: -1, cores: -1, ram: -1, server_groups: -1, server_group_members: -1 } },
    });
    expect(q.status).toBe(200);
  }
  const created = await stack.api('POST', '/v2.1/servers', {
    token: MEMBER,
    body: { server: { name: 'target', flavorRef: '1', imageRef: IMAGE } },
  });
  realServer = created.body.server.id;
  await waitForStatus(stack, realServer, ['ACTIVE'], MEMBER);
});
afterAll(async () => {
  await stack?.shutdown();
});

const nasty = fc.constantFrom(
  '%',
  '%zz',
  '%E0%A4%A',
  "'",
  '"',
  '\\',
  '`',
  '#',
  '%0A',
  '%00',
  '..',
  'é',
  '%F0%9D%84%9E',
  ' ',
  '*',
  '(a*)*b',
  'x'.repeat(300),
  '-1',
  '0',
  '1e309',
  'null',
);
/** Path segments: well-formed ids, real ones, and garbage. */
const segment = fc.oneof(
  fc.uuid(),
  fc.constant('REAL'),
  fc.constantFrom('r-abcdefgh', 'detail', 'defaults', 'compute-1', 'z1', 'fuzz', 'other', 'admin'),
  fc.array(nasty, { minLength: 1, maxLength: 3 }).map((a) => a.join('')),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
);
const templates = [
  '/v2.1/servers',
  '/v2.1/servers/detail',
  '/v2.1/servers/{}',
  '/v2.1/servers/{}/action',
  '/v2.1/servers/{}/os-instance-actions',
  '/v2.1/servers/{}/os-instance-actions/{}',
  '/v2.1/os-quota-sets/{}',
  '/v2.1/os-quota-sets/{}/detail',
  '/v2.1/limits',
  '/v2.1/flavors/{}',
  '/v2.1/os-reservations/{}',
  '/v2.1/os-reservations/{}/action',
  '/v2.1/os-server-groups',
  '/v2.1/os-server-groups/{}',
  '/v2.1/os-services/{}',
  '/v2.1/os-hypervisors/{}',
  '/v2.1/os-workflows/{}/history',
  '/v2.1/extensions/{}',
  '/v2.1/{}/servers',
  '/v2.1/{}',
];
const query = fc
  .array(
    fc.tuple(
      fc.constantFrom(
        'name',
        'status',
        'reservation_id',
        'limit',
        'marker',
        'all_tenants',
        'changes-since',
        'flavor',
        'x',
      ),
      fc.oneof(nasty, fc.string({ maxLength: 8 }).map(encodeURIComponent)),
    ),
    { maxLength: 3 },
  )
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));

/** JSON values that break schemas: wrong types, huge or odd numbers, nested junk. */
const junk = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 20 }),
  fc.constantFrom(-1, 0, 1e308, 2 ** 53, '1', '', ' x', '2', IMAGE),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);
const validCreate = {
  name: 'fz',
  flavorRef: '1',
  imageRef: IMAGE,
  min_count: 1,
  max_count: 2,
  metadata: { a: 'b' },
};
/** A valid create with some fields replaced, dropped or added. */
const mutatedCreate = fc
  .tuple(
    fc.subarray(Object.keys(validCreate)),
    fc.dictionary(
      fc.constantFrom(
        ...Object.keys(validCreate),
        'networks',
        'availability_zone',
        'key_name',
        'adminPass',
        'hostname',
        'zz',
      ),
      junk,
      { maxKeys: 3 },
    ),
  )
  .map(([keep, changes]) => ({
    server: {
      ...Object.fromEntries(keep.map((k) => [k, validCreate[k as keyof typeof validCreate]])),
      ...changes,
    },
  }));
/** Mostly creates that are valid or one field away from it, so the accepted path is fuzzed too. */
const createBody = fc.oneof(
  fc.constant({ server: validCreate }),
  fc
    .tuple(fc.constantFrom(...Object.keys(validCreate), 'networks', 'key_name', 'description'), junk)
    .map(([k, v]) => ({ server: { ...validCreate, [k]: v } })),
  mutatedCreate,
);
const actionBody = fc.oneof(
  fc.constantFrom(
    { reboot: { type: 'SOFT' } },
    { 'os-stop': null },
    { retry: {} },
    { 'os-getConsoleOutput': { length: 5 } },
  ),
  fc.dictionary(fc.constantFrom('reboot', 'os-start', 'retry', 'os-getConsoleOutput', 'boom'), junk, {
    maxKeys: 2,
  }),
);
const body = fc.oneof(
  createBody.map((b) => ({ json: b })),
  actionBody.map((b) => ({ json: b })),
  fc
    .record({ quota_set: fc.dictionary(fc.constantFrom('instances', 'cores', 'zz'), junk, { maxKeys: 2 }) })
    .map((b) => ({ json: b })),
  fc
    .record({
      server_group: fc.dictionary(fc.constantFrom('name', 'policies', 'policy', 'rules'), junk, {
        maxKeys: 3,
      }),
    })
    .map((b) => ({ json: b })),
  junk.map((b) => ({ json: b })),
  fc
    .constantFrom('{"server": {', '[[[[', 'not json', '\u0000', `{"a":${'['.repeat(5000)}`)
    .map((raw) => ({ raw })),
  fc.constant({}),
);
const token = fc.constantFrom(
  MEMBER,
  MEMBER,
  'admin:admin',
  'other:elsewhere',
  'x'.repeat(70),
  "a'b:c",
  null,
);
const request = fc.record({
  method: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE'),
  template: fc.oneof(fc.constantFrom(...templates), fc.constant('/v2.1/servers')),
  segments: fc.array(segment, { minLength: 2, maxLength: 2 }),
  query,
  body,
  token,
});

async function count(kind: string): Promise<number> {
  return (await stack.client.workflow.count(`NovaKind = '${kind}'`)).count;
}

describe('when thousands of mutated requests hit every route', () => {
  it('then none is a 5xx, every error is a Nova fault, and refused requests start nothing', async () => {
    const before = { reservation: await count('reservation'), servergroup: await count('servergroup') };
    const accepted = { reservation: 0, servergroup: 0 };
    const seen = { requests: 0, byStatus: {} as Record<number, number> };
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        let i = 0;
        const path = r.template.replace(/\{\}/g, () => {
          const s = r.segments[i++];
          return s === 'REAL' ? realServer : s;
        });
        // Quota changes would turn creates into refusals this test cannot tell from bad input.
        const isQuotaWrite = r.method === 'PUT' && /os-quota-sets\/(fuzz|admin|elsewhere)\b/.test(path);
        const method = isQuotaWrite ? 'GET' : r.method;
        const res = await stack.api(method, path + r.query, {
          token: r.token,
          ...('json' in r.body && method !== 'GET' ? { body: r.body.json } : {}),
          ...('raw' in r.body && method !== 'GET' ? { raw: r.body.raw } : {}),
        });
        seen.requests++;
        seen.byStatus[res.status] = (seen.byStatus[res.status] ?? 0) + 1;
        if (method === 'POST' && /\/servers$/.test(path) && res.status === 202) accepted.reservation++;
        if (method === 'POST' && /\/os-server-groups$/.test(path) && res.status === 200)
          accepted.servergroup++;
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) {
          expect(typeof res.body).toBe('object');
          const [name] = Object.keys(res.body);
          expect(res.body[name]).toEqual({ code: res.status, message: expect.any(String) });
        }
      }),
      { seed: 20261201, numRuns: RUNS, interruptAfterTimeLimit: 150_000, markInterruptAsFailure: false },
    );
    console.log(`fuzz: ${seen.requests} requests, by status ${JSON.stringify(seen.byStatus)}`);
    expect(seen.requests).toBeGreaterThan(500);
    // Visibility lags a little behind the starts: wait until it has seen them all, then compare.
    const expected = {
      reservation: before.reservation + accepted.reservation,
      servergroup: before.servergroup + accepted.servergroup,
    };
    let started = { reservation: 0, servergroup: 0 };
    for (let i = 0; i < 40; i++) {
      started = { reservation: await count('reservation'), servergroup: await count('servergroup') };
      if (started.reservation >= expected.reservation && started.servergroup >= expected.servergroup) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(started).toEqual(expected);

    // Every process still works: what the fuzz created can be deleted (fuzzed counts filled the
    // hosts), and then a create reaches ACTIVE on a compute node.
    for (let round = 0; round < 60; round++) {
      const all = await stack.api('GET', '/v2.1/servers?all_tenants=1', { token: 'admin:admin' });
      if (all.body.servers.length === 0) break;
      for (const s of all.body.servers as { id: string }[]) {
        const d = await stack.api('DELETE', `/v2.1/servers/${s.id}`, { token: 'admin:admin' });
        expect([204, 404, 409]).toContain(d.status);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const created = await stack.api('POST', '/v2.1/servers', {
      token: MEMBER,
      body: { server: { name: 'after-fuzz', flavorRef: '1', imageRef: IMAGE } },
    });
    expect(created.status).toBe(202);
    const id = created.body.server.id;
    try {
      await waitForStatus(stack, id, ['ACTIVE'], MEMBER, 60_000);
    } catch (err) {
      const shown = await stack.api('GET', `/v2.1/servers/${id}`, { token: 'admin:admin' });
      const hosts = await stack.api('GET', '/v2.1/os-services', { token: 'admin:admin' });
      throw new Error(
        `${(err as Error).message}: ${JSON.stringify(shown.body)} ${JSON.stringify(hosts.body)}`,
      );
    }
  }, 240_000);
});
