import os from 'node:os';
import type { Client } from '@temporalio/client';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { createComputeActivities } from '../activities/compute';
import { reportHost } from '../entities/host/client';
import { computeTaskQueue } from '../common/names';
import type { HostReport } from '../entities/host/types';
import type { VirtDriver } from '../drivers/driver';

export interface ComputeNodeOptions {
  connection: NativeConnection;
  client: Client;
  namespace: string;
  host: string;
  driver: VirtDriver;
  availabilityZone: string;
  heartbeatMs: number;
  /** Activities extensions run on compute nodes, built for this node's driver. */
  extraActivities?: Record<string, (...args: never[]) => Promise<unknown>>;
  tuning?: Partial<WorkerOptions>;
}

/** A running compute node: its worker plus the heartbeat that keeps its host entity alive. */
export interface ComputeNode {
  worker: Worker;
  /** Sends one report now (registration, or a heartbeat). */
  report(): Promise<void>;
  /** Runs the worker and the heartbeats until shutdown. */
  run(): Promise<void>;
  shutdown(): void;
}

export async function createComputeNode(opts: ComputeNodeOptions): Promise<ComputeNode> {
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: computeTaskQueue(opts.host),
    activities: {
      ...createComputeActivities({ driver: opts.driver }),
      ...opts.extraActivities,
    },
    // Heartbeats carry spawn progress and bring cancellation (a delete during the build): send them
    // within a second rather than at Temporal's default of 80% of the heartbeat timeout.
    maxHeartbeatThrottleInterval: '1 second',
    ...opts.tuning,
  });
  const report = async () => {
    const inv = opts.driver.inventory();
    const body: HostReport = {
      at: Date.now(),
      inventory: {
        ...inv,
        availabilityZone: opts.availabilityZone,
        driver: opts.driver.name,
        hostIp:
          Object.values(os.networkInterfaces())
            .flat()
            .find((i) => i?.family === 'IPv4' && !i.internal)?.address ?? '127.0.0.1',
        capabilities: [...opts.driver.capabilities],
      },
    };
    await reportHost(opts.client, opts.host, body);
  };
  let timer: NodeJS.Timeout | undefined;
  // One heartbeat at a time, each bounded by a deadline: while Temporal is unreachable a call retries
  // with backoff, and heartbeats must not pile up behind it. The node's run ends only once the last
  // one has settled, so nothing still calls Temporal (or waits to retry) after the node has stopped.
  const heartbeatDeadlineMs = Math.max(2_000, opts.heartbeatMs * 5);
  let inFlight: Promise<void> | undefined;
  const heartbeat = () => {
    inFlight ??= opts.client.connection
      .withDeadline(Date.now() + heartbeatDeadlineMs, report)
      .catch(() => undefined)
      .finally(() => (inFlight = undefined));
  };
  // A stop can come before the worker runs (while the node still registers): the worker is then
  // started and stopped at once (which releases its hold on the connection) rather than left running
  // with its shutdown already skipped.
  let stopping = false;
  return {
    worker,
    report,
    async run() {
      await report();
      if (stopping) {
        const ran = worker.run();
        worker.shutdown();
        return ran;
      }
      timer = setInterval(heartbeat, opts.heartbeatMs);
      try {
        await worker.run();
      } finally {
        clearInterval(timer);
        await inFlight;
      }
    },
    shutdown() {
      stopping = true;
      clearInterval(timer);
      // Idempotent: a node a test already stopped may be shut down again when the stack goes.
      if (worker.getState() === 'RUNNING') worker.shutdown();
    },
  };
}
