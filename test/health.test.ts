import type http from 'node:http';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../api/app';
import { KeystoneIdentity } from '../api/identity/keystone';
import { noAuth } from '../api/identity/noauth';
import { NativeConnection } from '@temporalio/worker';
import { FakeDriver } from '../drivers/fake';
import { freePort, registerSearchAttributes, startDevServer, type DevServer } from '../scripts/temporal';
import { serveHealth } from '../workers/health';
import { createComputeNode } from '../workers/compute';
import { eventually } from './support/stack';

/**
 * The API's probes against a Temporal server of the test's own, stopped and started for real (kill -9,
 * then a restart on the same SQLite file). Runs last, in a jest process of its own (as the durability
 * test does): the client's reconnect timers must not outlive the stopped server into other files.
 */
let server: DevServer;
let port: number;
let connection: Connection;
const listeners: http.Server[] = [];
const dbFile = path.join(process.env.NOVAFLOW_TEST_DIR!, 'health.db');

async function serve(identity: Parameters<typeof createApp>[0]['identity']): Promise<string> {
  const client = new Client({ connection, namespace: 'default' });
  const app = createApp({ client, namespace: 'default', uiUrl: '', maxCount: 10, identity });
  const listener: http.Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  listeners.push(listener);
  return `http://127.0.0.1:${(listener.address() as { port: number }).port}`;
}

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as any };
};

beforeAll(async () => {
  port = await freePort();
  server = await startDevServer({ port, dbFile });
  connection = await Connection.connect({ address: server.address });
});
afterAll(async () => {
  for (const l of listeners) l.close();
  // Calls made while the server was down retry on timers past their deadline; closing the channel
  // under them would throw from a timer into whatever runs next. Let them run out first.
  await new Promise((r) => setTimeout(r, 6000));
  await connection?.close();
  await server?.stop('SIGKILL');
});

describe('when an orchestrator probes the API', () => {
  it('then /healthz stays 200 while /readyz follows Temporal: 503 when it is killed, 200 again once it is back', async () => {
    const api = await serve(noAuth);
    expect(await get(`${api}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await get(`${api}/readyz`)).toEqual({
      status: 200,
      body: { status: 'ready', checks: { temporal: { status: 'ok' }, keystone: { status: 'not used' } } },
    });

    await server.stop('SIGKILL');
    const down = await get(`${api}/readyz`);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'not ready', checks: { temporal: { status: 'failed' } } });
    expect(down.body.checks.temporal.error).toMatch(/\S/);
    expect(await get(`${api}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });

    server = await startDevServer({ port, dbFile });
    await eventually(
      async () => ((await get(`${api}/readyz`)).status === 200 ? true : undefined),
      60_000,
      'ready again',
    );
  });

  it('then /readyz is 503 naming Keystone when the identity service cannot be reached', async () => {
    const closed = await freePort();
    const api = await serve(
      new KeystoneIdentity({
        url: `http://127.0.0.1:${closed}/v3`,
        service: { user: 'novaflow', password: 'unused', project: 'service' },
      }),
    );
    const r = await get(`${api}/readyz`);
    expect(r.status).toBe(503);
    expect(r.body.checks).toEqual({
      temporal: { status: 'ok' },
      keystone: { status: 'failed', error: 'The identity service is not available: unreachable' },
    });
    // The probes need no token: the Nova API behind them still does.
    expect((await fetch(`${api}/v2.1/servers`)).status).toBe(401);
  });
});

describe('when an orchestrator probes a worker process (NOVAFLOW_HEALTH_PORT)', () => {
  it('then /readyz is 200 while Temporal answers and its worker runs, 503 when Temporal is killed, and 503 once the worker stopped', async () => {
    await registerSearchAttributes(server.address, 'default');
    const native = await NativeConnection.connect({ address: server.address });
    const client = new Client({ connection, namespace: 'default' });
    const node = await createComputeNode({
      connection: native,
      client,
      namespace: 'default',
      host: 'probed',
      driver: new FakeDriver(),
      availabilityZone: 'nova',
      heartbeatMs: 1000,
    });
    const running = node.run();
    const probes = await serveHealth({ port: 0, host: '127.0.0.1', client, workers: () => [node.worker] });
    listeners.push(probes);
    const url = `http://127.0.0.1:${(probes.address() as { port: number }).port}`;
    try {
      expect(await get(`${url}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
      await eventually(
        async () => ((await get(`${url}/readyz`)).status === 200 ? true : undefined),
        20_000,
        'ready',
      );
      expect((await get(`${url}/readyz`)).body.checks).toEqual({
        temporal: { status: 'ok' },
        workers: { status: 'ok' },
      });

      await server.stop('SIGKILL');
      const down = await get(`${url}/readyz`);
      expect(down.status).toBe(503);
      expect(down.body.checks.temporal.status).toBe('failed');
      server = await startDevServer({ port, dbFile });
      await eventually(
        async () => ((await get(`${url}/readyz`)).status === 200 ? true : undefined),
        60_000,
        'ready again',
      );

      node.shutdown();
      await running;
      const stopped = await get(`${url}/readyz`);
      expect(stopped.status).toBe(503);
      expect(stopped.body.checks.workers).toEqual({ status: 'failed', error: 'worker state STOPPED' });
    } finally {
      node.shutdown();
      await running.catch(() => undefined);
      await native.close();
    }
  });
});
