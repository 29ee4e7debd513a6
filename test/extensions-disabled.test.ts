import { Client, Connection } from '@temporalio/client';
import { admit, QuotaBatcher } from '../api/usecases/admission';
import { toCreateRequest } from '../api/usecases/servers';
import { multipleCreateExtension } from '../extensions/os-multiple-create';
import { describeServerGroupQuery, serverGroupWorkflowId } from '../extensions/scheduler-hints/workflow';
import { startStack, eventually, waitForStatus, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const ADMIN = 'admin:admin';
let stack: Stack | undefined;

afterEach(async () => {
  await stack?.shutdown();
  stack = undefined;
});

describe('when only os-multiple-create is configured', () => {
  it('then the other extensions are gone: listing, routes 404, create fields 400', async () => {
    stack = await startStack({ hosts: [{ name: 'd1' }], extensions: [multipleCreateExtension] });
    const list = await stack.api('GET', '/v2.1/extensions');
    expect(list.status).toBe(200);
    const aliases = list.body.extensions.map((e: any) => e.alias);
    // Nova's frozen list is always there; novaflow's own extensions only when loaded.
    expect(aliases).toContain('os-multiple-create');
    expect(aliases).toContain('os-hosts');
    expect(aliases).not.toContain('images');
    expect(aliases).not.toContain('networks');
    expect((await stack.api('GET', '/v2.1/extensions/networks')).status).toBe(404);
    expect((await stack.api('GET', '/v2.1/os-hypervisors', { token: ADMIN })).status).toBe(404);
    expect((await stack.api('GET', '/v2.1/os-server-groups')).status).toBe(404);
    const hinted = await stack.api('POST', '/v2.1/servers', {
      body: {
        server: { name: 'x', imageRef: IMAGE, flavorRef: '1' },
        'os:scheduler_hints': { same_host: '11111111-2222-4333-8444-555555555555' },
      },
    });
    expect(hinted.status).toBe(400);
    expect(hinted.body.badRequest.message).toContain("'os:scheduler_hints' was unexpected");
    // Without the images extension there is no image catalog: the core takes any image id as given.
    expect((await stack.api('GET', '/image/v2/images')).status).toBe(404);
    const anyImage = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'y', imageRef: '11111111-2222-4333-8444-555555555555', flavorRef: '1' } },
    });
    expect(anyImage.status).toBe(202);
    const built = await waitForStatus(stack, anyImage.body.server.id, ['ACTIVE']);
    // Without the networks extension there are no networks: no Neutron API, no addresses, and the
    // core carries a create's networks without reading them.
    expect(built.addresses).toEqual({});
    expect((await stack.api('GET', '/network/v2.0/networks')).status).toBe(404);
    const named = await stack.api('POST', '/v2.1/servers', {
      headers: { 'OpenStack-API-Version': 'compute 2.37' },
      body: {
        server: {
          name: 'z',
          imageRef: IMAGE,
          flavorRef: '1',
          networks: [{ uuid: '11111111-2222-4333-8444-555555555555' }],
        },
      },
    });
    expect(named.status).toBe(202);
    expect((await waitForStatus(stack, named.body.server.id, ['ACTIVE'])).addresses).toEqual({});
  });
});

describe('when every built-in extension is loaded', () => {
  it("then the listing is Nova's shape sorted by alias, and each one can be shown", async () => {
    stack = await startStack({ hosts: [{ name: 'd1' }] });
    const list = await stack.api('GET', '/v2.1/extensions', { token: 'anyone:any' });
    const aliases: string[] = list.body.extensions.map((e: any) => e.alias);
    for (const alias of [
      'OS-SCH-HNT',
      'images',
      'networks',
      'os-aggregates',
      'os-availability-zone',
      'os-console-output',
      'os-hypervisors',
      'os-keypairs',
      'os-multiple-create',
    ])
      expect(aliases.filter((a) => a === alias)).toHaveLength(1);
    // Nova's frozen v2 list too (Tempest looks 'Hosts' and 'os-consoles' up in it), sorted by alias.
    expect(aliases).toEqual([...aliases].sort());
    expect(list.body.extensions.find((e: any) => e.alias === 'os-hosts').name).toBe('Hosts');
    expect((await stack.api('GET', '/v2.1/extensions/os-consoles')).body.extension.alias).toBe('os-consoles');
    const one = await stack.api('GET', '/v2.1/extensions/os-multiple-create');
    expect(one.body).toEqual({
      extension: {
        name: 'MultipleCreate',
        alias: 'os-multiple-create',
        description: 'Allow multiple create in the Create Server v2.1 API.',
        namespace: 'http://docs.openstack.org/compute/ext/fake_xml',
        updated: '2014-12-03T00:00:00Z',
        links: [],
      },
    });
    expect(list.body.extensions).toContainEqual(one.body.extension);
  });
});

describe('when a create captured scheduler hints and the extension is turned off before it runs', () => {
  it('then it still finishes with the hook applied, though the API no longer offers the extension', async () => {
    const before = await startStack({ hosts: [{ name: 'o1' }, { name: 'o2' }] });
    const namespace = before.namespace;
    const group = await before.api('POST', '/v2.1/os-server-groups', {
      token: 'off:proj',
      body: { server_group: { name: 'g', policies: ['anti-affinity'] } },
    });
    expect(group.status).toBe(200);
    const groupId = group.body.server_group.id;
    await before.shutdown();

    // Admitted while the extension was in force: the workflow captures it, no worker runs yet.
    const connection = await Connection.connect({ address: process.env.NOVAFLOW_TEST_TEMPORAL_ADDRESS! });
    const client = new Client({ connection, namespace });
    const req = toCreateRequest(
      { client, namespace, uiUrl: '', maxCount: 10 },
      { userId: 'off', projectId: 'proj', roles: ['member', 'reader'], isAdmin: false, requestId: 'req-off' },
      { server: { name: 'late', imageRef: IMAGE, flavorRef: '1', min_count: 2 } },
      ['OS-SCH-HNT', 'os-hypervisors', 'os-multiple-create'],
      { 'os:scheduler_hints': { group: groupId } },
    );
    expect(req.reservationId).toMatch(/^r-/);
    const admission = admit(client, new QuotaBatcher(client), req);

    stack = await startStack({
      hosts: [{ name: 'o1' }, { name: 'o2' }],
      extensions: [multipleCreateExtension],
      namespace,
    });
    const admitted = await admission;
    expect((await stack.api('GET', '/v2.1/os-server-groups', { token: 'off:proj' })).status).toBe(404);
    const hosts = await Promise.all(
      admitted.serverIds.map(
        async (id) => (await waitForStatus(stack!, id, ['ACTIVE'], ADMIN))['OS-EXT-SRV-ATTR:host'],
      ),
    );
    expect(new Set(hosts).size).toBe(2);
    const members = await eventually(async () => {
      const g = await client.workflow
        .getHandle(serverGroupWorkflowId(groupId))
        .query(describeServerGroupQuery);
      return g.members.length === 2 ? g.members : undefined;
    });
    expect(members.sort()).toEqual([...admitted.serverIds].sort());
    await connection.close();
  });
});
