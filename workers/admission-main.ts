import { loadEnv } from '../config/env';
import { logger } from '../common/observability/log';
import { ADMISSION_TASK_QUEUE } from '../common/names';
import { loadWorkerExtensions } from '../extensions/registry';
import { CORE_ADMISSION_ENTITIES, moveToAdmissionQueue } from '../entities/move';
import { createAdmissionWorker } from './admission';
import { connectWorkerProcess, processWorkflowCode, serveWorker } from './connect';

/** Entry of the admission worker process. */
async function main() {
  const env = loadEnv();
  const ext = loadWorkerExtensions(env.NOVAFLOW_EXTENSIONS);
  const proc = await connectWorkerProcess(env, 'admission');
  const worker = await createAdmissionWorker({
    connection: proc.connection,
    namespace: env.TEMPORAL_NAMESPACE,
    cacheSize: env.NOVAFLOW_ADMISSION_CACHE,
    ...processWorkflowCode(env, ext, proc),
    tuning: { plugins: proc.plugins },
  });
  // Entities an older release left on the control queue move here once this worker polls.
  const log = logger('admission');
  moveToAdmissionQueue(proc.client, [...CORE_ADMISSION_ENTITIES, ...ext.admissionEntities])
    .then((moved) => {
      if (moved > 0) log.info({ moved }, 'entities moved from the control queue');
    })
    .catch((err: unknown) => log.warn({ err }, 'could not move entities from the control queue'));
  await serveWorker(env, proc, worker, 'admission', ADMISSION_TASK_QUEUE);
}

main().catch((err) => {
  logger('admission').fatal({ err }, 'admission worker failed');
  process.exit(1);
});
