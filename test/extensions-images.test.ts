import { randomUUID } from 'node:crypto';
import { startStack, waitForStatus, type Stack } from './support/stack';

const CIRROS = '70a599e0-31e7-49b7-b260-868f441e862b';
const UBUNTU = '155d900f-4e14-4e4c-a73d-069cbf4541e6';
const MEMBER = 'imgs:images';
const ADMIN = 'admin:images';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: [{ name: 'i1' }] });
});
afterAll(async () => {
  await stack?.shutdown();
});

const create = (imageRef: string, flavorRef = '1', name = `img-${randomUUID().slice(0, 8)}`) =>
  stack.api('POST', '/v2.1/servers', { token: MEMBER, body: { server: { name, flavorRef, imageRef } } });

describe('when the images extension serves its Glance v2 API', () => {
  it('then its root answers version discovery without a token, and reads need one', async () => {
    const root = await stack.api('GET', '/image/', { token: null });
    expect(root.status).toBe(200);
    expect(root.body.versions[0]).toMatchObject({ status: 'CURRENT', links: [{ rel: 'self' }] });
    expect(root.body.versions[0].links[0].href).toMatch(/\/image\/v2\/$/);
    expect((await stack.api('GET', '/image/v2/images', { token: null })).status).toBe(401);
  });

  it('then the shipped images are listed, found by name and shown with Glance fields', async () => {
    const list = await stack.api('GET', '/image/v2/images', { token: MEMBER });
    expect(list.status).toBe(200);
    expect(list.body.images.map((i: { id: string }) => i.id)).toEqual(
      expect.arrayContaining([CIRROS, UBUNTU]),
    );
    const byName = await stack.api('GET', '/image/v2/images?name=cirros-0.6.2-x86_64-disk', {
      token: MEMBER,
    });
    expect(byName.body.images.map((i: { id: string }) => i.id)).toEqual([CIRROS]);
    const one = await stack.api('GET', `/image/v2/images/${CIRROS}`, { token: MEMBER });
    expect(one.body).toMatchObject({
      id: CIRROS,
      status: 'active',
      visibility: 'public',
      os_distro: 'cirros',
    });
    expect((await stack.api('GET', `/image/v2/images/${randomUUID()}`, { token: MEMBER })).status).toBe(404);
    const paged = await stack.api('GET', '/image/v2/images?limit=1', { token: MEMBER });
    expect(paged.body.images).toHaveLength(1);
    expect(paged.body.next).toMatch(/marker=/);
  });
});

describe("when a create names an image (Nova's checks, before anything starts)", () => {
  it('then an unknown image is a 400 and no server exists', async () => {
    const unknown = randomUUID();
    const r = await create(unknown, '1', 'img-unknown');
    expect(r.status).toBe(400);
    expect(r.body.badRequest.message).toBe(`Image ${unknown} could not be found.`);
    const list = await stack.api('GET', '/v2.1/servers?name=img-unknown', { token: MEMBER });
    expect(list.body.servers).toEqual([]);
  });

  it("then a flavor below the image's min_ram or min_disk is a 400, and one that fits builds", async () => {
    const small = await create(UBUNTU, '1');
    expect(small.status).toBe(400);
    expect(small.body.badRequest.message).toBe("Flavor's memory is too small for requested image.");
    const fits = await create(UBUNTU, '2');
    expect(fits.status).toBe(202);
    await waitForStatus(stack, fits.body.server.id, ['ACTIVE'], MEMBER);
    // The driver is told what the image is, to boot what it describes.
    const guest = Object.values(stack.drivers)
      .map((d) => d.instances.get(fits.body.server.id)?.spec.guest)
      .find(Boolean);
    expect(guest?.images).toMatchObject({ id: UBUNTU, name: 'ubuntu-24.04-server', min_ram: 1024 });
  });

  it('then an image an admin registers is queued (400 for a create) until its data is uploaded', async () => {
    // As in Glance: a member registers their project's images, never a public one.
    const refused = await stack.api('POST', '/image/v2/images', {
      token: MEMBER,
      body: { name: 'mine', visibility: 'public' },
    });
    expect(refused.status).toBe(403);
    const own = await stack.api('POST', '/image/v2/images', {
      token: MEMBER,
      body: { name: 'mine', visibility: 'private' },
    });
    expect(own.status).toBe(201);
    expect(own.body).toMatchObject({ name: 'mine', visibility: 'private', status: 'queued' });
    const registered = await stack.api('POST', '/image/v2/images', {
      token: ADMIN,
      body: {
        name: 'custom',
        visibility: 'public',
        disk_format: 'qcow2',
        container_format: 'bare',
        os_distro: 'alpine',
      },
    });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ name: 'custom', status: 'queued', os_distro: 'alpine' });
    const id = registered.body.id;
    const queued = await create(id);
    expect(queued.status).toBe(400);
    expect(queued.body.badRequest.message).toBe(`Image ${id} is not active.`);

    const upload = await stack.api('PUT', `/image/v2/images/${id}/file`, {
      token: ADMIN,
      raw: 'not json at all: image bytes',
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    expect(upload.status).toBe(204);
    const shown = await stack.api('GET', `/image/v2/images/${id}`, { token: MEMBER });
    expect(shown.body).toMatchObject({ status: 'active', size: 28 });
    const built = await create(id);
    expect(built.status).toBe(202);
    await waitForStatus(stack, built.body.server.id, ['ACTIVE'], MEMBER);

    // Another project's member may not delete a public image it sees.
    expect((await stack.api('DELETE', `/image/v2/images/${id}`, { token: 'bob:other' })).status).toBe(403);
    expect((await stack.api('DELETE', `/image/v2/images/${own.body.id}`, { token: MEMBER })).status).toBe(
      204,
    );
    expect((await stack.api('DELETE', `/image/v2/images/${CIRROS}`, { token: ADMIN })).status).toBe(403);
    expect((await stack.api('DELETE', `/image/v2/images/${id}`, { token: ADMIN })).status).toBe(204);
    expect((await stack.api('GET', `/image/v2/images/${id}`, { token: MEMBER })).status).toBe(404);
    expect((await create(id)).status).toBe(400);
  });
});
