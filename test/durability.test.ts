import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { FakeDriver } from '../drivers/fake';
import { createComputeNode } from '../workers/compute';
import { hostStateQuery } from '../entities/host/messages';
import { hostWorkflowId } from '../common/names';
import { freePort, registerSearchAttributes, startDevServer, type DevServer } from '../scripts/temporal';
import { eventually, startStack, waitForStatus, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';

describe('when the Temporal server is killed while a spawn is in flight', () => {
  let server: DevServer;
  let stack: Stack;
  let port: number;
  const dbFile = path.join(process.env.NOVAFLOW_TEST_DIR!, 'durability.db');

  beforeAll(async () => {
    port = await freePort();
    server = await startDevServer({ port, dbFile });
    await registerSearchAttributes(server.address, 'default');
    stack = await startStack({
      address: server.address,
      namespace: 'default',
      hosts: [{ name: 'd1', driver: { spawnLatencyMs: 4000 } }],
      scheduler: { downAfterMs: 120_000 },
    });
  });
  afterAll(async () => {
    await stack?.shutdown();
    await server?.stop('SIGKILL');
  });

  it('then after a restart on the same SQLite file the server still ends ACTIVE, with nothing duplicated', async () => {
    const created = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'durable', flavorRef: '1', imageRef: IMAGE } },
    });
    expect(created.status).toBe(202);
    const id = created.body.server.id;
    const driver = stack.drivers.d1;
    await eventually(async () => (driver.spawnCalls > 0 ? true : undefined), 20_000, 'the spawn to start');

    await server.stop('SIGKILL');
    expect(server.process.signalCode).toBe('SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    server = await startDevServer({ port, dbFile });

    const active = await waitForStatus(stack, id, ['ACTIVE'], undefined, 120_000);
    expect(active.id).toBe(id);
    expect([...driver.instances.keys()]).toEqual([id]);
    const host = await stack.client.workflow.getHandle(hostWorkflowId('d1')).query(hostStateQuery);
    expect(Object.keys(host.allocations)).toEqual([id]);
    const limits = await stack.api('GET', '/v2.1/limits');
    expect(limits.body.limits.absolute.totalInstancesUsed).toBe(1);
    const list = await eventually(async () => {
      const r = await stack.api('GET', '/v2.1/servers/detail');
      return r.body.servers.length === 1 && r.body.servers[0].status === 'ACTIVE'
        ? r.body.servers
        : undefined;
    });
    expect(list[0].id).toBe(id);
  }, 180_000);
});

describe('when a compute node stops while the Temporal server is down', () => {
  it('then its run ends within seconds with no call to Temporal left in flight or waiting to retry', async () => {
    const port = await freePort();
    const dbFile = path.join(process.env.NOVAFLOW_TEST_DIR!, 'heartbeat-outage.db');
    let server = await startDevServer({ port, dbFile });
    await registerSearchAttributes(server.address, 'default');
    // Counts whole calls, retries included: outermost, around the SDK's own retry interceptor.
    let inFlight = 0;
    const counting: grpc.Interceptor = (options, nextCall) =>
      new grpc.InterceptingCall(nextCall(options), {
        start(metadata, listener, next) {
          inFlight++;
          next(metadata, {
            onReceiveStatus(status, done) {
              inFlight--;
              done(status);
            },
          });
        },
      });
    const clientConnection = await Connection.connect({
      address: server.address,
      interceptors: [counting, makeGrpcRetryInterceptor(defaultGrpcRetryOptions())],
    });
    const connection = await NativeConnection.connect({ address: server.address });
    const node = await createComputeNode({
      connection,
      client: new Client({ connection: clientConnection }),
      namespace: 'default',
      host: 'outage',
      driver: new FakeDriver(),
      availabilityZone: 'nova',
      heartbeatMs: 200,
    });
    await node.report();
    const run = node.run();
    try {
      // Let its registration and a few heartbeats land while the server is up.
      await new Promise((r) => setTimeout(r, 1000));

      await server.stop('SIGKILL');
      // Heartbeats now fail and retry; the node must not pile them up.
      await eventually(async () => (inFlight > 0 ? true : undefined), 5_000, 'a heartbeat to be retrying');
      await new Promise((r) => setTimeout(r, 1500));
      expect(inFlight).toBe(1);

      const stopping = Date.now();
      node.shutdown();
      await run;
      expect(inFlight).toBe(0);
      expect(Date.now() - stopping).toBeLessThan(15_000);
    } finally {
      node.shutdown();
      await run.catch(() => undefined);
      await clientConnection.close();
      // Restart the server so the native connection closes cleanly, then stop it for good.
      server = await startDevServer({ port, dbFile });
      await connection.close();
      await server.stop('SIGKILL');
    }
  }, 60_000);
});
