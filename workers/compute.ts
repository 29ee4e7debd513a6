import os from 'node:os';
import type { Client } from '@temporalio/client';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { createComputeActivities } from '../activities/compute';
import { loadHostStates, reportHost } from '../entities/host/client';
import { computeTaskQueue, serverWorkflowId } from '../common/names';
import { powerReportSignal } from '../entities/server/messages';
import type { HostReport } from '../entities/host/types';
import type { VirtDriver } from '../drivers/driver';
import { logger } from '../common/observability/log';

const log = logger('compute');

export interface ComputeNodeOptions {
  connection: NativeConnection;
  client: Client;
  namespace: string;
  host: string;
  driver: VirtDriver;
  availabilityZone: string;
  heartbeatMs: number;
  /** How often the node compares its instances with its host's claims and power states (default 10 s). */
  syncMs?: number;
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
  // A driver whose instances outlive the node finds them again before the node takes work.
  await opts.driver.start?.();
  const sync = instanceSync(opts);
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: computeTaskQueue(opts.host),
    activities: {
      ...createComputeActivities({ driver: opts.driver, host: opts.host }),
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
      await sync.once(true);
      const syncTimer = setInterval(() => void sync.once(false), opts.syncMs ?? 10_000);
      try {
        await worker.run();
      } finally {
        clearInterval(timer);
        clearInterval(syncTimer);
        await inFlight;
        await sync.idle();
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

/**
 * What the node does on its own, as Nova's periodic tasks do: tells a server's entity when its machine
 * stopped without being asked (the driver's events, and a sweep that finds one stopped), and destroys
 * machines its host no longer claims (a node killed mid-spawn whose server went elsewhere, or a
 * server deleted while the node was down) — at once when the node starts, otherwise once a second
 * sweep still finds the claim gone (a claim always precedes its machine, so none is mistaken).
 */
function instanceSync(opts: ComputeNodeOptions) {
  const { driver, client, host } = opts;
  /** Instances reported stopped, until they run again: each stop is told once. */
  const told = new Set<string>();
  const suspects = new Set<string>();
  let running: Promise<void> | undefined;
  const tell = (id: string, reason: string) => {
    if (told.has(id)) return;
    told.add(id);
    void client.workflow
      .getHandle(serverWorkflowId(id))
      .signal(powerReportSignal, { host, running: false, reason })
      .then(() => log.info({ host, server_id: id, reason }, 'instance stopped; its server is told'))
      // Not delivered (Temporal unreachable): the next sweep finds it stopped and tells again. A
      // server already gone (deleted) has no workflow to tell, and a later sweep no instance either.
      .catch(() => told.delete(id));
  };
  driver.watch?.((e) => (e.running ? told.delete(e.id) : tell(e.id, e.reason)));
  const sweep = async (starting: boolean) => {
    const ids = (await driver.listInstances?.()) ?? [];
    if (ids.length === 0) return;
    const [state] = await loadHostStates(client, [host]);
    if (!state) return;
    for (const id of ids) {
      if (!(id in state.allocations)) {
        if (starting || suspects.has(id)) {
          suspects.delete(id);
          await driver.destroy(id);
          told.delete(id);
          log.info({ host, server_id: id }, 'destroyed an instance its host no longer claims');
        } else suspects.add(id);
        continue;
      }
      suspects.delete(id);
      const info = await driver.getInfo(id);
      if (info?.running) told.delete(id);
      else if (info) tell(id, starting ? 'found stopped when the node started' : 'found stopped');
    }
  };
  return {
    once(starting: boolean): Promise<void> {
      running ??= sweep(starting)
        .catch((err) => log.error({ host, err }, 'instance sync failed'))
        .finally(() => (running = undefined));
      return running;
    },
    idle: () => running ?? Promise.resolve(),
  };
}
