import { startStack, type Stack } from './support/stack';

let stack: Stack;
const TOKEN = 'gina:groups';

beforeAll(async () => {
  stack = await startStack({ hosts: [{ name: 'g1' }] });
});
afterAll(async () => {
  await stack?.shutdown();
});

const createGroup = (i: number) =>
  stack.api('POST', '/v2.1/os-server-groups', {
    token: TOKEN,
    body: { server_group: { name: `g${i}`, policies: ['anti-affinity'] } },
  });

async function used(): Promise<number> {
  const r = await stack.api('GET', '/v2.1/limits', { token: TOKEN });
  return r.body.limits.absolute.totalServerGroupsUsed;
}

describe('when 30 server groups are created at once against a limit of 10', () => {
  it('then exactly 10 are made, the rest are 403, and /limits counts them', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => createGroup(i)));
    const made = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 403);
    expect(made).toHaveLength(10);
    expect(refused).toHaveLength(20);
    expect(refused[0].body.forbidden.message).toBe('Quota exceeded, too many server groups.');
    expect(await used()).toBe(10);
    const listed = await stack.api('GET', '/v2.1/os-server-groups', { token: TOKEN });
    expect(listed.body.server_groups.length).toBeLessThanOrEqual(10);

    // A deleted group gives its unit back, exactly once.
    const id = made[0].body.server_group.id;
    expect((await stack.api('DELETE', `/v2.1/os-server-groups/${id}`, { token: TOKEN })).status).toBe(204);
    expect([404, 204]).toContain(
      (await stack.api('DELETE', `/v2.1/os-server-groups/${id}`, { token: TOKEN })).status,
    );
    let now = await used();
    for (let i = 0; i < 50 && now !== 9; i++) {
      await new Promise((r) => setTimeout(r, 100));
      now = await used();
    }
    expect(now).toBe(9);
    expect((await createGroup(99)).status).toBe(200);
    expect((await createGroup(100)).status).toBe(403);
    expect(await used()).toBe(10);
  }, 90_000);
});
