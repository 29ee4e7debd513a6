import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { ADMISSION_TASK_QUEUE } from '../common/names';
import { workflowCode, type WorkflowCodeOptions } from './workflow-code';

/** The same workflow code as the control worker. */
export interface AdmissionWorkerOptions extends WorkflowCodeOptions {
  connection: NativeConnection;
  namespace: string;
  /** Workflows kept in memory between their tasks (default ADMISSION_CACHE). */
  cacheSize?: number;
  tuning?: Partial<WorkerOptions>;
}

/**
 * The admission worker: the entities other work waits on, on the `novaflow-admission` queue — the
 * projects' quota entities, the host entities and extensions' resource entities (address pools). It
 * runs no activities, so the one workflow task a create waits on in its API call (its project's quota
 * update) never waits for a slot, a poller or CPU behind the build work of creates admitted before
 * it, and a claim or an address a control workflow task waits on in a local activity never needs a
 * slot that task holds. It carries the same workflow code as the control worker.
 */
/** Workflows the admission worker keeps in memory: a fleet of 1000 hosts, projects and pools. */
export const ADMISSION_CACHE = 2000;

export async function createAdmissionWorker(opts: AdmissionWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: ADMISSION_TASK_QUEUE,
    ...workflowCode(opts),
    // Every host entity of a large fleet, and one quota entity per active project, stay in memory.
    maxCachedWorkflows: opts.cacheSize ?? ADMISSION_CACHE,
    // A quota entity cached by an admission worker that died waits this long on that worker's sticky
    // queue before another worker takes it (Temporal's default is 10 s): creates of that project stall
    // meanwhile. This worker never queues behind build work, so 2 s is far above its normal pickup.
    stickyQueueScheduleToStartTimeout: '2 seconds',
    // A task that ignores its cancellation must not hold a stop (a deploy, Ctrl-C) forever: after
    // this the worker stops anyway and Temporal hands its tasks to another worker.
    shutdownForceTime: '30 seconds',
    ...opts.tuning,
  });
}
