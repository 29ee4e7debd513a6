import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';

/**
 * The floor's own workflows: raw Temporal with none of novaflow's logic, bundled by the bench worker
 * only (never part of the product bundle).
 */

/** The activity every floor child runs: it does nothing, so only Temporal's cost is left. */
export interface FloorActivities {
  noop(): Promise<void>;
}

/** One parent starting `n` children at once, spread round-robin over the activity queues. */
export async function floorParent(n: number, queues: string[]): Promise<number> {
  const { workflowId } = workflowInfo();
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      executeChild(floorChild, { workflowId: `${workflowId}/${i}`, args: [queues[i % queues.length]] }),
    ),
  );
  return n;
}

/** One child: a single no-op activity on the given queue, like a server's spawn on its host. */
export async function floorChild(queue: string): Promise<void> {
  const { noop } = proxyActivities<FloorActivities>({ taskQueue: queue, startToCloseTimeout: '1 minute' });
  await noop();
}

/** The cheapest workflow there is: what a bare `client.workflow.start` is measured with. */
export async function emptyWorkflow(): Promise<void> {}
