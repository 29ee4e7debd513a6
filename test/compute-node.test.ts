import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { FakeDriver } from '../drivers/fake';
import { createComputeNode } from '../workers/compute';
import { claimNamespace } from './support/stack';

describe('when a compute node is told to stop while it is still registering', () => {
  it('then its run ends instead of starting a worker nobody will stop', async () => {
    const address = process.env.NOVAFLOW_TEST_TEMPORAL_ADDRESS!;
    const connection = await NativeConnection.connect({ address });
    const clientConnection = await Connection.connect({ address });
    const namespace = claimNamespace();
    const node = await createComputeNode({
      connection,
      client: new Client({ connection: clientConnection, namespace }),
      namespace,
      host: 'early-stop',
      driver: new FakeDriver(),
      availabilityZone: 'nova',
      heartbeatMs: 1000,
    });
    // The stop comes while run() still waits for its registration: the worker has not started yet.
    const run = node.run();
    node.shutdown();
    const outcome = await Promise.race([
      run.then(() => 'stopped'),
      sleep(15_000).then(() => 'still running'),
    ]);
    try {
      expect(outcome).toBe('stopped');
      expect(node.worker.getState()).not.toBe('RUNNING');
    } finally {
      node.shutdown();
      await run;
      await clientConnection.close();
      await connection.close();
    }
  }, 60_000);
});
