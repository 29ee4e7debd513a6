import { createHash } from 'node:crypto';
import { startStack, waitForStatus, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const ALICE = 'alice:keys';
const BOB = 'bob:keys';
const V2_2 = { 'OpenStack-API-Version': 'compute 2.2' };
// A real ed25519 public key (its blob names its type), as a user would import it.
const IMPORTED =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl imported@novaflow';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: [{ name: 'kp1' }] });
});
afterAll(async () => {
  await stack?.shutdown();
});

describe('when a user manages key pairs (os-keypairs)', () => {
  it('then a generated one returns its private key once, and an imported one keeps its public key', async () => {
    const made = await stack.api('POST', '/v2.1/os-keypairs', {
      token: ALICE,
      headers: V2_2,
      body: { keypair: { name: 'made' } },
    });
    expect(made.status).toBe(201);
    expect(made.body.keypair).toMatchObject({ name: 'made', user_id: 'alice', type: 'ssh' });
    expect(made.body.keypair.private_key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(made.body.keypair.public_key).toMatch(/^ssh-rsa AAAAB3NzaC1yc2E/);
    const blob = Buffer.from(made.body.keypair.public_key.split(' ')[1], 'base64');
    expect(made.body.keypair.fingerprint).toBe(
      createHash('md5').update(blob).digest('hex').match(/../g)!.join(':'),
    );

    const imported = await stack.api('POST', '/v2.1/os-keypairs', {
      token: ALICE,
      body: { keypair: { name: 'imported', public_key: IMPORTED } },
    });
    expect(imported.status).toBe(200);
    expect(imported.body.keypair.public_key).toBe(IMPORTED);
    expect(imported.body.keypair.private_key).toBeUndefined();

    const shown = await stack.api('GET', '/v2.1/os-keypairs/made', { token: ALICE });
    expect(shown.body.keypair).toMatchObject({ name: 'made', user_id: 'alice', deleted: false });
    expect(shown.body.keypair.private_key).toBeUndefined();
    const list = await stack.api('GET', '/v2.1/os-keypairs', { token: ALICE });
    expect(list.body.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name).sort()).toEqual([
      'imported',
      'made',
    ]);
  });

  it("then bad input is Nova's 400, a duplicate name 409, and another user sees none of them", async () => {
    const bad = [
      { keypair: { name: 'x', public_key: 'ssh-rsa not-base64!' } },
      {
        keypair: {
          name: 'x',
          public_key: 'ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
        },
      },
      { keypair: { name: 'bad/name' } },
      { keypair: { name: '' } },
      { keypair: {} },
    ];
    for (const body of bad)
      expect((await stack.api('POST', '/v2.1/os-keypairs', { token: ALICE, body })).status).toBe(400);
    const dup = await stack.api('POST', '/v2.1/os-keypairs', {
      token: ALICE,
      body: { keypair: { name: 'made' } },
    });
    expect(dup.status).toBe(409);
    expect(dup.body.conflictingRequest.message).toBe("Key pair 'made' already exists.");
    expect((await stack.api('GET', '/v2.1/os-keypairs', { token: BOB })).body.keypairs).toEqual([]);
    expect((await stack.api('GET', '/v2.1/os-keypairs/made', { token: BOB })).status).toBe(404);
    expect((await stack.api('DELETE', '/v2.1/os-keypairs/made', { token: BOB })).status).toBe(404);
  });

  it('then a create checks key_name (400 for one the user lacks) and shows it on the server', async () => {
    const unknown = await stack.api('POST', '/v2.1/servers', {
      token: BOB,
      body: { server: { name: 'kp-no', flavorRef: '1', imageRef: IMAGE, key_name: 'made' } },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.badRequest.message).toBe('Invalid key_name provided.');
    const ok = await stack.api('POST', '/v2.1/servers', {
      token: ALICE,
      body: { server: { name: 'kp-yes', flavorRef: '1', imageRef: IMAGE, key_name: 'made' } },
    });
    expect(ok.status).toBe(202);
    const server = await waitForStatus(stack, ok.body.server.id, ['ACTIVE'], ALICE);
    expect(server.key_name).toBe('made');
    // The driver gets the public key to hand the guest (as a config drive's public_keys).
    const made = await stack.api('GET', '/v2.1/os-keypairs/made', { token: ALICE });
    expect(stack.drivers.kp1.instances.get(server.id)?.spec.guest?.keypairs).toEqual({
      name: 'made',
      type: 'ssh',
      public_key: made.body.keypair.public_key,
      fingerprint: made.body.keypair.fingerprint,
    });
  });

  it("then from 2.10 an admin manages another user's key pairs with user_id, and a member may not", async () => {
    const V2_10 = { 'OpenStack-API-Version': 'compute 2.10' };
    const forCarol = await stack.api('POST', '/v2.1/os-keypairs', {
      token: 'admin:admin',
      headers: V2_10,
      body: { keypair: { name: 'carols', public_key: IMPORTED, user_id: 'carol' } },
    });
    expect(forCarol.status).toBe(201);
    expect(forCarol.body.keypair.user_id).toBe('carol');
    const asCarol = await stack.api('GET', '/v2.1/os-keypairs', { token: 'carol:keys' });
    expect(asCarol.body.keypairs.map((k: any) => k.keypair.name)).toEqual(['carols']);
    const byAdmin = await stack.api('GET', '/v2.1/os-keypairs/carols?user_id=carol', {
      token: 'admin:admin',
      headers: V2_10,
    });
    expect(byAdmin.body.keypair).toMatchObject({ name: 'carols', user_id: 'carol' });

    const nosy = await stack.api('GET', '/v2.1/os-keypairs?user_id=carol', { token: ALICE, headers: V2_10 });
    expect(nosy.status).toBe(403);
    expect(nosy.body.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-keypairs:index to be performed.",
    );
    // Before 2.10 the field does not exist, and the query names nobody.
    const early = await stack.api('POST', '/v2.1/os-keypairs', {
      token: 'admin:admin',
      headers: V2_2,
      body: { keypair: { name: 'x', user_id: 'carol' } },
    });
    expect(early.status).toBe(400);
    const ignored = await stack.api('GET', '/v2.1/os-keypairs?user_id=carol', {
      token: ALICE,
      headers: V2_2,
    });
    expect(ignored.status).toBe(200);
    expect(ignored.body.keypairs.map((k: any) => k.keypair.name)).not.toContain('carols');

    expect(
      (
        await stack.api('DELETE', '/v2.1/os-keypairs/carols?user_id=carol', {
          token: 'admin:admin',
          headers: V2_10,
        })
      ).status,
    ).toBe(204);
    expect((await stack.api('GET', '/v2.1/os-keypairs', { token: 'carol:keys' })).body.keypairs).toEqual([]);
  });

  it('then from 2.35 the list pages by name with limit and marker', async () => {
    const V2_35 = { 'OpenStack-API-Version': 'compute 2.35' };
    for (const name of ['p-c', 'p-a', 'p-b'])
      expect(
        (
          await stack.api('POST', '/v2.1/os-keypairs', {
            token: 'dave:keys',
            headers: V2_35,
            body: { keypair: { name, public_key: IMPORTED } },
          })
        ).status,
      ).toBe(201);
    const first = await stack.api('GET', '/v2.1/os-keypairs?limit=2', { token: 'dave:keys', headers: V2_35 });
    expect(first.body.keypairs.map((k: any) => k.keypair.name)).toEqual(['p-a', 'p-b']);
    expect(first.body.keypairs_links[0].href).toContain('marker=p-b');
    const next = await stack.api('GET', '/v2.1/os-keypairs?limit=2&marker=p-b', {
      token: 'dave:keys',
      headers: V2_35,
    });
    expect(next.body.keypairs.map((k: any) => k.keypair.name)).toEqual(['p-c']);
    expect(next.body.keypairs_links).toBeUndefined();
    const lost = await stack.api('GET', '/v2.1/os-keypairs?marker=nope', {
      token: 'dave:keys',
      headers: V2_35,
    });
    expect(lost.status).toBe(400);
  });

  it('then the key_pairs quota refuses one too many, and a delete frees the name', async () => {
    const quota = await stack.api('PUT', '/v2.1/os-quota-sets/keys', {
      token: 'admin:admin',
      body: { quota_set: { key_pairs: 2 } },
    });
    expect(quota.status).toBe(200);
    const third = await stack.api('POST', '/v2.1/os-keypairs', {
      token: ALICE,
      body: { keypair: { name: 'third' } },
    });
    expect(third.status).toBe(403);
    expect(third.body.forbidden.message).toBe('Quota exceeded, too many key pairs.');
    expect(
      (await stack.api('DELETE', '/v2.1/os-keypairs/imported', { token: ALICE, headers: V2_2 })).status,
    ).toBe(204);
    expect((await stack.api('GET', '/v2.1/os-keypairs/imported', { token: ALICE })).status).toBe(404);
    const again = await stack.api('POST', '/v2.1/os-keypairs', {
      token: ALICE,
      body: { keypair: { name: 'imported', public_key: IMPORTED } },
    });
    expect(again.status).toBe(200);
  });
});
