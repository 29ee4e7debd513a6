import fc from 'fast-check';
import { startStack, waitForStatus, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const MEMBER = 'alice:demo';
const OTHER = 'mallory:other';
let stack: Stack;
let theirs: string;

beforeAll(async () => {
  stack = await startStack({ hosts: [{ name: 'x1' }] });
  // A server of another project, with metadata a leak would show.
  const created = await stack.api('POST', '/v2.1/servers', {
    token: OTHER,
    body: { server: { name: 'secret', flavorRef: '1', imageRef: IMAGE, metadata: { pin: '1234' } } },
  });
  expect(created.status).toBe(202);
  theirs = created.body.server.id;
  await waitForStatus(stack, theirs, ['ACTIVE'], OTHER);
});
afterAll(async () => {
  await stack?.shutdown();
});

async function count(kind: string): Promise<number> {
  return (await stack.client.workflow.count(`NovaKind = '${kind}'`)).count;
}

function expectFault(r: { status: number; body: any }) {
  expect(r.status).toBeGreaterThanOrEqual(400);
  expect(r.status).toBeLessThan(500);
  const [name] = Object.keys(r.body);
  expect(r.body[name]).toEqual({ code: r.status, message: expect.any(String) });
}

describe('when a member puts query syntax into a list filter', () => {
  const attacks = [
    `x\\' OR NovaProject = "other" #`,
    `x\\' OR NovaKind = "server" #`,
    `x' OR NovaKind = 'server`,
    'x" OR NovaKind = "server',
    'x` OR 1=1',
    "x'\n OR NovaKind = 'server'",
  ];
  it.each(attacks)('then %j reads nothing of another project', async (value) => {
    for (const key of ['reservation_id', 'status', 'name', 'flavor', 'image', 'changes-since']) {
      const r = await stack.api('GET', `/v2.1/servers/detail?${key}=${encodeURIComponent(value)}`, {
        token: MEMBER,
      });
      expect(r.status < 500).toBe(true);
      if (r.status === 200) expect(JSON.stringify(r.body)).not.toContain(theirs);
      else expectFault(r);
    }
  });

  it('then no fuzzed filter value (quotes, backslashes, backticks, newlines, #, unicode) leaks or errs', async () => {
    const nasty = fc.constantFrom(
      '\\',
      "'",
      '"',
      '`',
      '\n',
      '#',
      ' OR ',
      'NovaProject',
      '=',
      'é',
      '𝄞',
      '\u0000',
    );
    const value = fc
      .array(fc.oneof(nasty, fc.string({ maxLength: 4 }), fc.constant('other')), { maxLength: 12 })
      .map((parts) => parts.join(''));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('reservation_id', 'status', 'name', 'flavor'),
        value,
        async (key, v) => {
          const r = await stack.api('GET', `/v2.1/servers/detail?${key}=${encodeURIComponent(v)}`, {
            token: MEMBER,
          });
          if (r.status !== 200) expectFault(r);
          else expect(JSON.stringify(r.body)).not.toContain(theirs);
        },
      ),
      { seed: 1010, numRuns: 300 },
    );
  });
});

describe('when a name filter is a catastrophic regular expression', () => {
  it('then it is matched in linear time and other requests are not held up', async () => {
    const created = await stack.api('POST', '/v2.1/servers', {
      token: MEMBER,
      body: { server: { name: `${'a'.repeat(200)}!`, flavorRef: '1', imageRef: IMAGE } },
    });
    expect(created.status).toBe(202);
    const id = created.body.server.id;
    await waitForStatus(stack, id, ['ACTIVE'], MEMBER);

    const hostile = stack.api('GET', `/v2.1/servers?name=${encodeURIComponent('(a*)*b')}`, { token: MEMBER });
    // Another tenant's request sent while the hostile one runs.
    const started = Date.now();
    const other = await stack.api('GET', '/v2.1/flavors', { token: OTHER });
    const otherMs = Date.now() - started;
    const r = await hostile;
    expect(r.status).toBe(200);
    expect(r.body.servers).toEqual([]);
    expect(other.status).toBe(200);
    // Exponential matching took 77 s here; the bound is generous for a loaded machine.
    expect(otherMs).toBeLessThan(2_000);

    const matching = await stack.api('GET', `/v2.1/servers?name=${encodeURIComponent('^a+!$')}`, {
      token: MEMBER,
    });
    expect(matching.body.servers.map((s: { id: string }) => s.id)).toEqual([id]);
    expect((await stack.api('DELETE', `/v2.1/servers/${id}`, { token: MEMBER })).status).toBe(204);
  });

  it('then a pattern too complex or not a regular expression is a 400', async () => {
    for (const pattern of ['(.*a){1000}', '(', '(?<=a)b', 'x'.repeat(300)]) {
      const r = await stack.api('GET', `/v2.1/servers?name=${encodeURIComponent(pattern)}`, {
        token: MEMBER,
      });
      expect(r.status).toBe(400);
      expectFault(r);
    }
  });
});

describe('when a token names an identity that cannot exist', () => {
  it.each([
    ['a 1200-character project', `alice:${'p'.repeat(1200)}`],
    ['a project with a quote', "alice:x'y"],
    ['a user with a newline', 'al\tice:demo'],
  ])('then %s is a 401 and starts nothing', async (_what, token) => {
    const before = await count('reservation');
    const r = await stack.api('POST', '/v2.1/servers', {
      token,
      body: { server: { name: 'p', flavorRef: '1', imageRef: IMAGE } },
    });
    expect(r.status).toBe(401);
    expectFault(r);
    expect(await count('reservation')).toBe(before);
  });
});

describe('when a path or body is malformed', () => {
  it.each([
    ['GET', '/v2.1/servers/%'],
    ['DELETE', '/v2.1/servers/%zz'],
    ['GET', '/v2.1/os-quota-sets/%zz'],
    ['PUT', '/v2.1/os-quota-sets/%'],
    ['GET', '/v2.1/os-reservations/%E0%A4%A'],
    ['GET', `/v2.1/os-quota-sets/${'q'.repeat(2000)}`],
    ['GET', `/v2.1/servers/${'s'.repeat(2000)}`],
    ['GET', `/v2.1/os-reservations/r-${'0'.repeat(2000)}`],
    ['GET', `/v2.1/os-workflows/${encodeURIComponent("server/x' OR 1=1")}/history`],
    ['GET', `/v2.1/servers/${encodeURIComponent("x'\\")}/os-instance-actions`],
  ])('then %s %#, a malformed path, is a 4xx fault', async (method, path) => {
    const r = await stack.api(method, path, {
      token: 'admin:admin',
      body: method === 'PUT' ? {} : undefined,
    });
    expectFault(r);
  });

  it('then a body nested 100,000 deep is a 400, and the API still answers', async () => {
    const before = await count('reservation');
    const deep = `{"server": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const r = await stack.api('POST', '/v2.1/servers', { token: MEMBER, raw: deep });
    expect(r.status).toBe(400);
    expectFault(r);
    const obj = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const action = await stack.api('POST', `/v2.1/servers/${theirs}/action`, { token: OTHER, raw: obj });
    expect(action.status).toBe(400);
    expect(await count('reservation')).toBe(before);
    expect((await stack.api('GET', '/v2.1/flavors', { token: MEMBER })).status).toBe(200);
  });
});
