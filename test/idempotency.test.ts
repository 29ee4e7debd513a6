import type http from 'node:http';
import { createApp } from '../api/app';
import { noAuth } from '../api/identity/noauth';
import { composeExtensions } from '../extensions/compose';
import { BUILTIN_EXTENSIONS } from '../extensions/registry';
import { eventually, startStack, waitForStatus, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const TOKEN = 'ida:keys';
let stack: Stack;
let replica: http.Server;
let replicaUrl: string;

beforeAll(async () => {
  stack = await startStack({ hosts: [{ name: 'k1' }] });
  // A second API process of the same cloud: nothing is shared with the first but Temporal.
  const app = createApp(
    {
      client: stack.client,
      namespace: stack.namespace,
      uiUrl: 'http://localhost:8233',
      maxCount: 1000,
      identity: noAuth,
    },
    composeExtensions(BUILTIN_EXTENSIONS).api,
  );
  replica = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  replicaUrl = `http://127.0.0.1:${(replica.address() as { port: number }).port}`;
});
afterAll(async () => {
  replica?.closeAllConnections();
  await new Promise((r) => replica?.close(r));
  await stack?.shutdown();
});

const body = (name: string) => ({ server: { name, flavorRef: '1', imageRef: IMAGE } });

async function create(key: string, b: unknown, token = TOKEN, base = stack.url) {
  const res = await fetch(`${base}/v2.1/servers`, {
    method: 'POST',
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json', 'Idempotency-Key': key },
    body: JSON.stringify(b),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function reservations(): Promise<number> {
  return (await stack.client.workflow.count(`NovaKind = 'reservation'`)).count;
}

describe('when a create is sent again with the same Idempotency-Key', () => {
  it('then every repeat, on either API process, answers with the first server and creates nothing', async () => {
    const first = await create('order-1', body('once'));
    expect(first.status).toBe(202);
    const id = first.body.server.id;
    expect(first.body.server.adminPass).toHaveLength(12);
    const before = await reservations();

    const again = await create('order-1', body('once'));
    expect(again.status).toBe(202);
    expect(again.body.server.id).toBe(id);
    expect(again.body.server.adminPass).toBeUndefined();
    const elsewhere = await create('order-1', body('once'), TOKEN, replicaUrl);
    expect(elsewhere.body.server.id).toBe(id);
    expect(await reservations()).toBe(before);

    // Still the same answer once the server is gone.
    await waitForStatus(stack, id, ['ACTIVE'], TOKEN);
    expect((await stack.api('DELETE', `/v2.1/servers/${id}`, { token: TOKEN })).status).toBe(204);
    expect((await create('order-1', body('once'))).body.server.id).toBe(id);
    await eventually(async () => {
      const list = await stack.api('GET', '/v2.1/servers', { token: TOKEN });
      return list.body.servers.some((s: { name: string }) => s.name === 'once') ? undefined : true;
    });
  });

  it('then 8 concurrent repeats across two API processes make one server', async () => {
    const before = await reservations();
    const all = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        create('burst', body('burst'), TOKEN, i % 2 ? replicaUrl : stack.url),
      ),
    );
    expect(all.map((r) => r.status)).toEqual(Array(8).fill(202));
    expect(new Set(all.map((r) => r.body.server.id)).size).toBe(1);
    expect(await reservations()).toBe(before + 1);
  });

  it('then the key with another body is a 409, and the same key in another project is its own request', async () => {
    expect((await create('order-2', body('a'))).status).toBe(202);
    const other = await create('order-2', body('b'));
    expect(other.status).toBe(409);
    expect(other.body.conflictingRequest.message).toContain('Idempotency-Key');
    const theirs = await create('order-2', body('a'), 'eve:elsewhere');
    expect(theirs.status).toBe(202);
    const mine = await create('order-2', body('a'));
    expect(theirs.body.server.id).not.toBe(mine.body.server.id);
  });

  it('then a bad key is a 400 and starts nothing', async () => {
    const before = await reservations();
    for (const key of ['', 'x'.repeat(256), 'has space']) {
      const r = await create(key, body('bad'));
      expect(r.status).toBe(400);
    }
    expect(await reservations()).toBe(before);
  });
});
