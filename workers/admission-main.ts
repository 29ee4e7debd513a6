import { loadEnv } from '../config/env';
import { ADMISSION_TASK_QUEUE } from '../common/names';
import { builtinWorkflowModules, builtinWorkflowTypes, loadWorkerExtensions } from '../extensions/registry';
import { createAdmissionWorker } from './admission';
import { connectWorkerProcess, probes } from './connect';

/** Entry of the admission worker process. */
async function main() {
  const env = loadEnv();
  const ext = loadWorkerExtensions(env.NOVAFLOW_EXTENSIONS);
  const { connection, client } = await connectWorkerProcess(env);
  const worker = await createAdmissionWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    workflowModules: [...new Set([...builtinWorkflowModules(), ...ext.workflowModules])],
    workflowTypes: [...new Set([...builtinWorkflowTypes(), ...ext.workflowTypes])],
  });
  const health = await probes(env, client, () => [worker]);
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      health?.close();
      worker.shutdown();
    });
  console.log(`[admission] polling task queue ${ADMISSION_TASK_QUEUE} on ${env.TEMPORAL_ADDRESS}`);
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  console.error('[admission]', err);
  process.exit(1);
});
