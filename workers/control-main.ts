import { loadEnv } from '../config/env';
import { connectWorkerProcess, probes, runAsBuildWorker } from './connect';
import { builtinWorkflowModules, builtinWorkflowTypes, loadWorkerExtensions } from '../extensions/registry';
import { createControlWorker } from './control';

/** Entry of the control worker process. */
async function main() {
  const env = loadEnv();
  runAsBuildWorker(env);
  const ext = loadWorkerExtensions(env.NOVAFLOW_EXTENSIONS);
  const { connection, client } = await connectWorkerProcess(env);
  const worker = await createControlWorker({
    connection,
    client,
    namespace: env.TEMPORAL_NAMESPACE,
    scheduler: {
      ratios: {
        cpu: env.NOVAFLOW_CPU_ALLOCATION_RATIO,
        ram: env.NOVAFLOW_RAM_ALLOCATION_RATIO,
        disk: env.NOVAFLOW_DISK_ALLOCATION_RATIO,
      },
      downAfterMs: env.NOVAFLOW_HOST_DOWN_AFTER_MS,
      weigher: env.NOVAFLOW_WEIGHER,
    },
    workflowModules: [...new Set([...builtinWorkflowModules(), ...ext.workflowModules])],
    workflowTypes: [...new Set([...builtinWorkflowTypes(), ...ext.workflowTypes])],
    extraActivities: ext.controlActivities({ client }),
    filterFactories: ext.filterFactories,
    concurrency: env.NOVAFLOW_CONTROL_CONCURRENCY,
  });
  const health = await probes(env, client, () => [worker]);
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      health?.close();
      worker.shutdown();
    });
  console.log(`[control] polling task queue novaflow on ${env.TEMPORAL_ADDRESS}`);
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  console.error('[control]', err);
  process.exit(1);
});
