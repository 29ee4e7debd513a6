import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { composeExtensions } from '../../extensions/compose';
import { BUILTIN_EXTENSIONS } from '../../extensions/registry';
import type { PrepareStepInput } from '../../entities/reservation/stages';
import { createControlWorker } from '../../workers/control';

/**
 * A control worker in a process of its own, for tests that kill it with SIGKILL: the run's workflow
 * bundle and every built-in extension's activities. With HOLD_AFTER_PREPARE_MS, the networks build
 * step prints `prepared <server id>` once its address is decided and holds its answer that long, so
 * a test can kill the process between the decision and its report.
 */
async function main() {
  const address = process.env.NOVAFLOW_TEST_TEMPORAL_ADDRESS!;
  const namespace = process.env.TEMPORAL_NAMESPACE!;
  const hold = Number(process.env.HOLD_AFTER_PREPARE_MS ?? 0);
  const connection = await NativeConnection.connect({ address });
  const client = new Client({ connection: await Connection.connect({ address }), namespace });
  const ext = composeExtensions(BUILTIN_EXTENSIONS);
  const activities = ext.controlActivities({ client }) as Record<
    string,
    (input: unknown) => Promise<unknown>
  >;
  const prepare = activities.networksPrepare;
  activities.networksPrepare = async (input: unknown) => {
    const result = await prepare(input);
    console.log(`prepared ${(input as PrepareStepInput).server.id}`);
    await new Promise((r) => setTimeout(r, hold));
    return result;
  };
  const worker = await createControlWorker({
    connection,
    client,
    namespace,
    scheduler: { ratios: { cpu: 1, ram: 1, disk: 1 }, downAfterMs: 10_000, weigher: 'spread' },
    workflowBundle: { codePath: process.env.NOVAFLOW_TEST_BUNDLE! },
    extraActivities: activities,
    filterFactories: ext.filterFactories,
  });
  console.log('control worker running');
  await worker.run();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
