import { loadEnv } from '../config/env';
import { logger } from '../common/observability/log';
import { CONTROL_TASK_QUEUE } from '../common/names';
import { connectWorkerProcess, processWorkflowCode, runAsBuildWorker, serveWorker } from './connect';
import { loadWorkerExtensions } from '../extensions/registry';
import { createControlWorker } from './control';

/** Entry of the control worker process. */
async function main() {
  const env = loadEnv();
  runAsBuildWorker(env);
  const ext = loadWorkerExtensions(env.NOVAFLOW_EXTENSIONS);
  const proc = await connectWorkerProcess(env, 'control');
  const worker = await createControlWorker({
    connection: proc.connection,
    client: proc.client,
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
    ...processWorkflowCode(env, ext, proc),
    extraActivities: ext.controlActivities({ client: proc.client }),
    filterFactories: ext.filterFactories,
    concurrency: env.NOVAFLOW_CONTROL_CONCURRENCY,
    cacheSize: env.NOVAFLOW_CONTROL_CACHE,
    tuning: { plugins: proc.plugins },
  });
  await serveWorker(env, proc, worker, 'control', CONTROL_TASK_QUEUE);
}

main().catch((err) => {
  logger('control').fatal({ err }, 'control worker failed');
  process.exit(1);
});
