import { setMaxListeners } from 'node:events';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import type { FilterFactory, SchedulerConfig } from '../activities/control';
import { createControlActivities } from '../activities/control';
import { CONTROL_TASK_QUEUE } from '../common/names';
import { workflowCode, type WorkflowCodeOptions } from './workflow-code';

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
  /** Workflows kept in memory between their tasks (default 2000). */
  cacheSize?: number;
}

export const DEFAULT_CONTROL_CONCURRENCY = 8;

type ActivityFn = (...args: never[]) => Promise<unknown>;

/**
 * Control activities talk to entities through the Temporal client, often to entities this very worker
 * runs (a claim on a host entity). Every call they make gives up when the activity is cancelled — its
 * timeout, or this worker shutting down — so a shutdown never waits on an update that only this
 * worker could have processed; Temporal retries the activity elsewhere.
 */
function abortable(client: Client, activities: Record<string, ActivityFn>): Record<string, ActivityFn> {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      (...args: never[]) => {
        const ctx = Context.current();
        // Alive while it runs, whatever its own progress beats: a worker killed mid-call is noticed
        // within the callers' short heartbeat timeout, and the call retried on another worker.
        // A local activity has no heartbeat: it lives within its workflow task.
        const alive = ctx.info.isLocal ? undefined : setInterval(() => ctx.heartbeat(), KEEPALIVE_MS);
        // Each call in flight listens on the signal, and a schedule claims on many hosts at once:
        // past Node's default of 10 that is no leak (the activity's signal ends with it), not a warning.
        setMaxListeners(0, ctx.cancellationSignal);
        return client
          .withAbortSignal(ctx.cancellationSignal, () => fn(...args))
          .finally(() => clearInterval(alive));
      },
    ]),
  );
}

/** How often a control activity tells Temporal it is alive (its callers' heartbeat timeout is 10 s). */
export const KEEPALIVE_MS = 2_000;

/** Workflows the control worker keeps in memory: enough for every host entity of a large fleet. */
export const DEFAULT_CONTROL_CACHE = 2000;

/**
 * The control worker: every workflow but the entities others wait on (see admission.ts), plus the control-plane
 * activities, on the `novaflow` queue.
 */
export async function createControlWorker(opts: ControlWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: CONTROL_TASK_QUEUE,
    ...workflowCode(opts),
    activities: abortable(opts.client, {
      ...createControlActivities({
        client: opts.client,
        scheduler: opts.scheduler,
        filterFactories: opts.filterFactories,
        admissionWaitMs: opts.admissionWaitMs,
      }),
      ...opts.extraActivities,
    }),
    maxCachedWorkflows: opts.cacheSize ?? DEFAULT_CONTROL_CACHE,
    // A task that ignores its cancellation must not hold a stop (a deploy, Ctrl-C) forever: after
    // this the worker stops anyway and Temporal hands its tasks to another worker.
    shutdownForceTime: '30 seconds',
    // Few tasks in flight at once: a build backlog waits in Temporal's task queue (durable, cheap)
    // instead of crowding the worker and the server, which keeps a burst's admissions fast. Two
    // shared cores run out of CPU long before 8 slots run out of work.
    maxConcurrentWorkflowTaskExecutions: opts.concurrency ?? DEFAULT_CONTROL_CONCURRENCY,
    maxConcurrentActivityTaskExecutions: opts.concurrency ?? DEFAULT_CONTROL_CONCURRENCY,
    ...opts.tuning,
  });
}
