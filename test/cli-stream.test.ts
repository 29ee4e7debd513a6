import { execFile } from 'node:child_process';
import type http from 'node:http';
import path from 'node:path';
import { createApp } from '../api/app';
import { noAuth } from '../api/identity/noauth';
import { composeExtensions } from '../extensions/compose';
import { BUILTIN_EXTENSIONS } from '../extensions/registry';
import { startStack, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const BIN = path.join(__dirname, '..', 'bin', 'novaflow.js');
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: [{ name: 's1', driver: { spawnLatencyMs: 4000 } }] });
});
afterAll(async () => {
  await stack?.shutdown();
});

/** An API process of its own, which the test can cut off or stop for real. */
async function startApi(): Promise<{ url: string; server: http.Server }> {
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
  const server: http.Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

function cli(url: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, NOVAFLOW_URL: url, NOVAFLOW_TOKEN: 'admin:admin' }, timeout: 90_000 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 99) : 0;
        resolve({ code: typeof code === 'number' ? code : 99, stdout, stderr });
      },
    );
  });
}

async function createReservation(): Promise<string> {
  const r = await stack.api('POST', '/v2.1/servers', {
    token: 'admin:admin',
    body: { server: { name: 'slow', flavorRef: '1', imageRef: IMAGE, return_reservation_id: true } },
  });
  expect(r.status).toBe(202);
  return r.body.reservation_id;
}

describe('when the event stream drops before the create has settled', () => {
  it('then `reservation watch` reconnects and exits 0 only once every server is ACTIVE', async () => {
    const api = await startApi();
    const rid = await createReservation();
    const watching = cli(api.url, ['reservation', 'watch', rid]);
    // Cut every connection twice while the spawn runs; the server keeps listening.
    for (const at of [1200, 2400]) {
      await new Promise((r) => setTimeout(r, at === 1200 ? at : 1200));
      api.server.closeAllConnections();
    }
    const r = await watching;
    api.server.close();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(settled)');
    expect(r.stdout).toMatch(/ACTIVE 1/);
    expect(r.stdout).not.toMatch(/stage done \(settled\)[^\n]*\n[^\n]*BUILD/);
  }, 60_000);

  it('then, with the API gone for good, it exits 4 instead of reporting success', async () => {
    const api = await startApi();
    const rid = await createReservation();
    const watching = cli(api.url, ['reservation', 'watch', rid]);
    await new Promise((r) => setTimeout(r, 1200));
    api.server.close();
    api.server.closeAllConnections();
    const r = await watching;
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('novaflow:');
  }, 90_000);
});
