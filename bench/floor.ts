import path from 'node:path';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { historyTotals, type HistoryTotals } from './measure';
import type { FloorActivities } from './workflows';
import { emptyWorkflow, floorParent } from './workflows';

/** Task queue of the bench's own workflows. */
export const BENCH_QUEUE = 'bench';
/** The floor's three activity queues, the stand-ins for three compute hosts. */
export const FLOOR_QUEUES = ['bench/q-1', 'bench/q-2', 'bench/q-3'];

/** In-process workers for the floor: one for the bench workflows, one per activity queue. */
export interface FloorWorkers {
  shutdown(): Promise<void>;
}

/**
 * Starts the floor's workers with their own bundle of bench/workflows.ts. They get the control
 * worker's cache size so the comparison is not skewed by eviction.
 */
export async function startFloorWorkers(address: string, namespace: string): Promise<FloorWorkers> {
  const connection = await NativeConnection.connect({ address });
  const activities: FloorActivities = { noop: async () => undefined };
  const workers = await Promise.all([
    Worker.create({
      connection,
      namespace,
      taskQueue: BENCH_QUEUE,
      workflowsPath: path.join(__dirname, 'workflows.ts'),
      maxCachedWorkflows: 2000,
    }),
    ...FLOOR_QUEUES.map((taskQueue) => Worker.create({ connection, namespace, taskQueue, activities })),
  ]);
  const runs = workers.map((w) => w.run());
  return {
    async shutdown() {
      for (const w of workers) w.shutdown();
      await Promise.allSettled(runs);
      await connection.close();
    },
  };
}

export interface FloorResult {
  n: number;
  seconds: number;
  /** Parent plus children, divided by n. */
  history: HistoryTotals;
}

/** One parent starting n children that each run one no-op activity, from start to the parent's end. */
export async function runFloor(client: Client, n: number, tag: string): Promise<FloorResult> {
  const workflowId = `floor/${tag}/${n}`;
  const t0 = performance.now();
  await client.workflow.execute(floorParent, {
    workflowId,
    taskQueue: BENCH_QUEUE,
    args: [n, FLOOR_QUEUES],
  });
  const seconds = (performance.now() - t0) / 1000;
  const ids = [workflowId, ...Array.from({ length: n }, (_, i) => `${workflowId}/${i}`)];
  return { n, seconds, history: await historyTotals(client, ids, n) };
}

/** A bare start of the empty workflow: what admission is compared with. */
export async function bareStart(client: Client, id: string): Promise<void> {
  await client.workflow.start(emptyWorkflow, { workflowId: id, taskQueue: BENCH_QUEUE });
}
