import { serverGroupWorkflowId, describeServerGroupQuery } from '../extensions/scheduler-hints/workflow';
import { eventually, startStack, waitForStatus, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const ADMIN = 'admin:admin';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: [{ name: 'h1' }, { name: 'h2' }, { name: 'h3' }] });
});
afterAll(async () => {
  await stack?.shutdown();
});

async function createGroup(policy: string, token: string) {
  const r = await stack.api('POST', '/v2.1/os-server-groups', {
    token,
    body: { server_group: { name: `g-${policy}`, policies: [policy] } },
  });
  expect(r.status).toBe(200);
  return r.body.server_group;
}

/** The request's `count` servers once all are listed (visibility lags their starts) in `statuses`. */
async function serversOf(reservationId: string, token: string, statuses: string[], count: number) {
  return eventually(async () => {
    const r = await stack.api('GET', `/v2.1/servers/detail?reservation_id=${reservationId}`, { token });
    const all = r.body.servers as any[];
    return all.length === count && all.every((s) => statuses.includes(s.status)) ? all : undefined;
  });
}

async function hostOf(id: string) {
  const s = await waitForStatus(stack, id, ['ACTIVE'], ADMIN);
  return s['OS-EXT-SRV-ATTR:host'] as string;
}

describe('when servers are created in an anti-affinity group', () => {
  it('then each lands on a distinct host and they all become members', async () => {
    const token = 'ann:aa-ok';
    const group = await createGroup('anti-affinity', token);
    const r = await stack.api('POST', '/v2.1/servers', {
      token,
      body: {
        server: { name: 'aa', imageRef: IMAGE, flavorRef: '1', min_count: 3, return_reservation_id: true },
        'os:scheduler_hints': { group: group.id },
      },
    });
    expect(r.status).toBe(202);
    const servers = await serversOf(r.body.reservation_id, token, ['ACTIVE'], 3);
    expect(servers).toHaveLength(3);
    const hosts = await Promise.all(servers.map((s) => hostOf(s.id)));
    expect(new Set(hosts).size).toBe(3);
    const shown = await stack.api('GET', `/v2.1/os-server-groups/${group.id}`, { token });
    expect(shown.body.server_group.members.sort()).toEqual(servers.map((s) => s.id).sort());
    expect(shown.body.server_group.policies).toEqual(['anti-affinity']);

    // A deleted server leaves its group, as in Nova; the others stay.
    const [gone, ...kept] = servers.map((s) => s.id);
    expect((await stack.api('DELETE', `/v2.1/servers/${gone}`, { token })).status).toBe(204);
    await eventually(async () =>
      (await stack.api('GET', `/v2.1/servers/${gone}`, { token })).status === 404 ? true : undefined,
    );
    const after = await stack.api('GET', `/v2.1/os-server-groups/${group.id}`, { token });
    expect(after.body.server_group.members.sort()).toEqual(kept.sort());
    const listed = await stack.api('GET', '/v2.1/os-server-groups', { token });
    expect(listed.body.server_groups[0].members.sort()).toEqual(kept.sort());
  });

  it('then more servers than hosts is NoValidHost: all ERROR, explained by the anti-affinity filter', async () => {
    const token = 'ann:aa-full';
    const group = await createGroup('anti-affinity', token);
    const r = await stack.api('POST', '/v2.1/servers', {
      token,
      body: {
        server: { name: 'aa4', imageRef: IMAGE, flavorRef: '1', min_count: 4, return_reservation_id: true },
        'OS-SCH-HNT:scheduler_hints': { group: group.id },
      },
    });
    expect(r.status).toBe(202);
    const servers = await serversOf(r.body.reservation_id, token, ['ERROR'], 4);
    expect(servers).toHaveLength(4);
    for (const s of servers)
      expect(s.fault.message).toBe('No valid host was found. There are not enough hosts available.');
    const asAdmin = await stack.api('GET', `/v2.1/servers/${servers[0].id}`, { token: ADMIN });
    expect(asAdmin.body.server.fault.details).toContain('ServerGroupAntiAffinityFilter removed');
    const shown = await stack.api('GET', `/v2.1/os-server-groups/${group.id}`, { token });
    expect(shown.body.server_group.members).toEqual([]);
  });
});

describe('when servers are created in an affinity group', () => {
  it('then they all land on one host', async () => {
    const token = 'ann:aff';
    const group = await createGroup('affinity', token);
    const r = await stack.api('POST', '/v2.1/servers', {
      token,
      body: {
        server: { name: 'af', imageRef: IMAGE, flavorRef: '1', min_count: 3, return_reservation_id: true },
        'os:scheduler_hints': { group: group.id },
      },
    });
    const servers = await serversOf(r.body.reservation_id, token, ['ACTIVE'], 3);
    const hosts = await Promise.all(servers.map((s) => hostOf(s.id)));
    expect(new Set(hosts).size).toBe(1);
  });
});

describe('when same_host and different_host hints are given', () => {
  it('then servers follow or avoid the named server, and os:scheduler_hints wins over the old key', async () => {
    const token = 'ann:hosts';
    const make = async (name: string, extra: Record<string, unknown> = {}) => {
      const r = await stack.api('POST', '/v2.1/servers', {
        token,
        body: { server: { name, imageRef: IMAGE, flavorRef: '1' }, ...extra },
      });
      expect(r.status).toBe(202);
      return r.body.server.id as string;
    };
    const a = await make('anchor');
    const hostA = await hostOf(a);
    const far = await make('far', { 'os:scheduler_hints': { different_host: [a] } });
    const near = await make('near', { 'OS-SCH-HNT:scheduler_hints': { same_host: a } });
    const both = await make('both', {
      'os:scheduler_hints': { same_host: [a], some_unknown_hint: 'x' },
      'OS-SCH-HNT:scheduler_hints': { different_host: [a] },
    });
    expect(await hostOf(far)).not.toBe(hostA);
    expect(await hostOf(near)).toBe(hostA);
    expect(await hostOf(both)).toBe(hostA);
  });

  it('then a hint that is not a uuid is a 400', async () => {
    const r = await stack.api('POST', '/v2.1/servers', {
      body: {
        server: { name: 'bad', imageRef: IMAGE, flavorRef: '1' },
        'os:scheduler_hints': { group: 'not-a-uuid' },
      },
    });
    expect(r.status).toBe(400);
    expect(r.body.badRequest.message).toContain("is not a 'uuid'");
  });
});

describe('when server groups are listed, shown and deleted', () => {
  it('then a project sees its own groups only, and a deleted group is 404 and kept as deleted', async () => {
    const mine = await createGroup('affinity', 'sue:groups');
    const theirs = await createGroup('anti-affinity', 'tom:other');
    const list = await eventually(async () => {
      const r = await stack.api('GET', '/v2.1/os-server-groups', {
        token: 'sue:groups',
        headers: { 'OpenStack-API-Version': 'compute 2.13' },
      });
      return r.body.server_groups.length === 1 ? r.body.server_groups : undefined;
    });
    expect(list[0]).toMatchObject({ id: mine.id, name: 'g-affinity', project_id: 'groups' });
    // Owners appear from 2.13, as in Nova.
    const early = await stack.api('GET', `/v2.1/os-server-groups/${mine.id}`, { token: 'sue:groups' });
    expect(early.body.server_group.project_id).toBeUndefined();
    expect(early.body.server_group.user_id).toBeUndefined();
    const other = await stack.api('GET', `/v2.1/os-server-groups/${theirs.id}`, { token: 'sue:groups' });
    expect(other.status).toBe(404);
    expect(other.body.itemNotFound.message).toBe(`Instance group ${theirs.id} could not be found.`);
    const v264 = await stack.api('GET', `/v2.1/os-server-groups/${mine.id}`, {
      token: 'sue:groups',
      headers: { 'OpenStack-API-Version': 'compute 2.64' },
    });
    if (v264.headers.get('openstack-api-version') === 'compute 2.64')
      expect(v264.body.server_group.policy).toBe('affinity');
    expect(
      (await stack.api('DELETE', `/v2.1/os-server-groups/${mine.id}`, { token: 'sue:groups' })).status,
    ).toBe(204);
    const gone = await stack.api('GET', `/v2.1/os-server-groups/${mine.id}`, { token: 'sue:groups' });
    expect(gone.status).toBe(404);
    const record = await stack.client.workflow
      .getHandle(serverGroupWorkflowId(mine.id))
      .query(describeServerGroupQuery);
    expect(record.deleted).toBe(true);
  });

  it("then a create naming a group that does not exist, or another project's group, is a 400 that starts nothing", async () => {
    const theirs = await stack.api('POST', '/v2.1/os-server-groups', {
      token: 'zed:elsewhere',
      body: { server_group: { name: 'theirs', policies: ['anti-affinity'] } },
    });
    for (const group of ['11111111-2222-4333-8444-555555555555', theirs.body.server_group.id]) {
      const r = await stack.api('POST', '/v2.1/servers', {
        token: 'ann:nogroup',
        body: {
          server: { name: 'lost', imageRef: IMAGE, flavorRef: '1' },
          'os:scheduler_hints': { group },
        },
      });
      expect(r.status).toBe(400);
      expect(r.body.badRequest.message).toBe(`Instance group ${group} could not be found.`);
    }
    const list = await stack.api('GET', '/v2.1/servers', { token: 'ann:nogroup' });
    expect(list.body.servers).toHaveLength(0);
  });
});

describe("when a project's server group quotas are reached", () => {
  it('then one group too many and one member too many are refused with 403, and nothing is created', async () => {
    const token = 'quinn:sg-quota';
    const setQuota = async (quota_set: Record<string, number>) =>
      expect(
        (await stack.api('PUT', '/v2.1/os-quota-sets/sg-quota', { token: ADMIN, body: { quota_set } }))
          .status,
      ).toBe(200);
    await setQuota({ server_groups: 1, server_group_members: 2 });
    const group = await createGroup('anti-affinity', token);
    // Groups are counted through visibility: wait until the first one is listed there.
    await eventually(async () =>
      (await stack.client.workflow.count(`NovaKind = 'servergroup' AND NovaProject = 'sg-quota'`)).count === 1
        ? true
        : undefined,
    );
    const second = await stack.api('POST', '/v2.1/os-server-groups', {
      token,
      body: { server_group: { name: 'two', policies: ['affinity'] } },
    });
    expect(second.status).toBe(403);
    expect(second.body.forbidden.message).toBe('Quota exceeded, too many server groups.');

    const create = (count: number) =>
      stack.api('POST', '/v2.1/servers', {
        token,
        body: {
          server: {
            name: 'm',
            imageRef: IMAGE,
            flavorRef: '1',
            min_count: count,
            return_reservation_id: true,
          },
          'os:scheduler_hints': { group: group.id },
        },
      });
    const tooMany = await create(3);
    expect(tooMany.status).toBe(403);
    expect(tooMany.body.forbidden.message).toBe('Quota exceeded, too many servers in group');
    expect((await stack.api('GET', '/v2.1/servers', { token })).body.servers).toEqual([]);
    const fits = await create(2);
    expect(fits.status).toBe(202);
    const servers = await serversOf(fits.body.reservation_id, token, ['ACTIVE'], 2);
    expect(servers).toHaveLength(2);
    const more = await create(1);
    expect(more.status).toBe(403);
    expect(more.body.forbidden.message).toBe('Quota exceeded, too many servers in group');
    const groups = await stack.api('GET', '/v2.1/os-server-groups', { token });
    expect(groups.body.server_groups.map((g: any) => g.id)).toEqual([group.id]);
  });
});
