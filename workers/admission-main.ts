import { loadEnv } from '../config/env';
import { logger } from '../common/observability/log';
import { ADMISSION_TASK_QUEUE } from '../common/names';
import { builtinWorkflowModules, builtinWorkflowTypes, loadWorkerExtensions } from '../extensions/registry';
import { createAdmissionWorker } from './admission';
import { prebuiltBundle } from './workflow-code';
import { connectWorkerProcess, probes } from './connect';

/** Entry of the admission worker process. */
async function main() {
  const env = loadEnv();
  const ext = loadWorkerExtensions(env.NOVAFLOW_EXTENSIONS);
  const { connection, client, tracing, plugins } = await connectWorkerProcess(env, 'admission');
  const worker = await createAdmissionWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    workflowModules: [...new Set([...builtinWorkflowModules(), ...ext.workflowModules])],
    workflowTypes: [...new Set([...builtinWorkflowTypes(), ...ext.workflowTypes])],
    workflowBundle: prebuiltBundle(env.NOVAFLOW_WORKFLOW_BUNDLE_DIR, Boolean(tracing)),
    tuning: { plugins },
  });
  const health = await probes(env, client, () => [worker]);
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      health?.close();
      worker.shutdown();
    });
  logger('admission').info({ task_queue: ADMISSION_TASK_QUEUE }, 'polling');
  await worker.run();
  await tracing?.shutdown();
  await connection.close();
}

main().catch((err) => {
  logger('admission').fatal({ err }, 'admission worker failed');
  process.exit(1);
});
