import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { ADMISSION_TASK_QUEUE } from '../common/names';
import { workflowEntry } from '../extensions/bundle';

export interface AdmissionWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** A prebuilt bundle (tests build it once); otherwise the worker bundles the workflows itself. */
  workflowBundle?: { codePath: string };
  /** Workflow interceptor modules and workflow types of the extensions, as the control worker has. */
  workflowModules?: string[];
  workflowTypes?: string[];
  tuning?: Partial<WorkerOptions>;
}

/**
 * The admission worker: the projects' quota entities, on the `novaflow-admission` queue. It runs no
 * activities and nothing else, so the one workflow task a create waits on in its API call (its
 * project's quota update) never waits for a slot, a poller or CPU behind the build work of creates
 * admitted before it. It carries the same workflow code as the control worker.
 */
export async function createAdmissionWorker(opts: AdmissionWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: ADMISSION_TASK_QUEUE,
    ...(opts.workflowBundle
      ? { workflowBundle: opts.workflowBundle }
      : {
          workflowsPath: workflowEntry(opts.workflowTypes ?? []),
          bundlerOptions: { ignoreModules: [] },
          interceptors: { workflowModules: opts.workflowModules ?? [] },
        }),
    // One entity per project: a few hundred cached runs keep every active project's state in memory.
    maxCachedWorkflows: 500,
    ...opts.tuning,
  });
}
