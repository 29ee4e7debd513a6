import { loadEnv } from '../config/env';
import { logger } from '../common/observability/log';
import { CONTROL_TASK_QUEUE } from '../common/names';
import { connectWorkerProcess, probes, runAsBuildWorker } from './connect';
import { builtinWorkflowModules, builtinWorkflowTypes, loadWorkerExtensions } from '../extensions/registry';
import { createControlWorker } from './control';
import { prebuiltBundle } from './workflow-code';

/** Entry of the control worker process. */
async function main() {
  const env = loadEnv();
  runAsBuildWorker(env);
  const ext = loadWorkerExtensions(env.NOVAFLOW_EXTENSIONS);
  const { connection, client, tracing, plugins } = await connectWorkerProcess(env, 'control');
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
    workflowBundle: prebuiltBundle(env.NOVAFLOW_WORKFLOW_BUNDLE_DIR, Boolean(tracing)),
    tuning: { plugins },
  });
  const health = await probes(env, client, () => [worker]);
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      health?.close();
      worker.shutdown();
    });
  logger('control').info({ task_queue: CONTROL_TASK_QUEUE }, 'polling');
  await worker.run();
  await tracing?.shutdown();
  await connection.close();
}

main().catch((err) => {
  logger('control').fatal({ err }, 'control worker failed');
  process.exit(1);
});
