import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import type { FilterFactory, SchedulerConfig } from '../activities/control';
import { createControlActivities } from '../activities/control';
import { CONTROL_TASK_QUEUE } from '../common/names';
import { workflowCode, type WorkflowCodeOptions } from './workflow-code';

/** Path of the workflow bundle's entry, for workers that bundle at start. */
export const WORKFLOWS_PATH = path.join(__dirname, '..', 'workflows', 'index.ts');

export interface ControlWorkerOptions extends WorkflowCodeOptions {
  connection: NativeConnection;
  client: Client;
  namespace: string;
  scheduler: SchedulerConfig;
  extraActivities?: Record<string, (...args: never[]) => Promise<unknown>>;
  filterFactories?: Record<string, FilterFactory>;
  /** See ControlDeps.admissionWaitMs. */
  admissionWaitMs?: number;
  /** Workflow tasks and activities it runs at once, each (default 8). */
  concurrency?: number;
  tuning?: Partial<WorkerOptions>;
}

export const DEFAULT_CONTROL_CONCURRENCY = 8;

/**
 * The control worker: every workflow but the quota entities (see admission.ts), plus the control-plane
 * activities, on the `novaflow` queue.
 */
export async function createControlWorker(opts: ControlWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: CONTROL_TASK_QUEUE,
    ...workflowCode(opts),
    activities: {
      ...createControlActivities({
        client: opts.client,
        scheduler: opts.scheduler,
        filterFactories: opts.filterFactories,
        admissionWaitMs: opts.admissionWaitMs,
      }),
      ...opts.extraActivities,
    },
    maxCachedWorkflows: 2000,
    // Few tasks in flight at once: a build backlog waits in Temporal's task queue (durable, cheap)
    // instead of crowding the worker and the server, which keeps a burst's admissions fast. Two
    // shared cores run out of CPU long before 8 slots run out of work.
    maxConcurrentWorkflowTaskExecutions: opts.concurrency ?? DEFAULT_CONTROL_CONCURRENCY,
    maxConcurrentActivityTaskExecutions: opts.concurrency ?? DEFAULT_CONTROL_CONCURRENCY,
    ...opts.tuning,
  });
}
