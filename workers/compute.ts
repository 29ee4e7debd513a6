import os from 'node:os';
import type { Client } from '@temporalio/client';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { createComputeActivities } from '../activities/compute';
import { ApplicationFailure } from '@temporalio/common';
import { heartbeatService, loadHostStates, reportHost } from '../entities/host/client';
import { computeTaskQueue, fleetTaskQueue, serverWorkflowId } from '../common/names';
import { mapLimit } from '../common/concurrency';
import { FLEET_CALL, type FleetCallInput, type FleetCallResult } from '../common/fleet-call';
import { powerReportSignal } from '../entities/server/messages';
import type { HostReport } from '../entities/host/types';
import type { VirtDriver } from '../drivers/driver';
import { logger } from '../common/observability/log';

const log = logger('compute');

/** One host a compute node serves: its name, its virt driver and the activities extensions add for it. */
export interface ComputeHost {
  host: string;
  driver: VirtDriver;
  /** Activities extensions run on compute nodes, built for this host's driver. */
  extraActivities?: Record<string, (...args: never[]) => Promise<unknown>>;
}

export interface ComputeNodeOptions {
  connection: NativeConnection;
  client: Client;
  namespace: string;
  /** The one host of a node of its own (its task queue `compute/<host>`)... */
  host?: string;
  driver?: VirtDriver;
  extraActivities?: Record<string, (...args: never[]) => Promise<unknown>>;
  /**
   * ...or a fleet: many hosts served by this one process, one worker and one task queue
   * (`compute-fleet/<service>`) for all of them; every driver call names its host in its input.
   */
  fleet?: { service: string; hosts: ComputeHost[] };
  availabilityZone: string;
  heartbeatMs: number;
  /** How often the node compares its instances with its host's claims and power states (default 10 s). */
  syncMs?: number;
  tuning?: Partial<WorkerOptions>;
}

/** A running compute node: its worker plus the heartbeat that keeps its hosts up. */
export interface ComputeNode {
  worker: Worker;
  /** Registers every host (its inventory) and sends one heartbeat of the service now. */
  report(): Promise<void>;
  /** Runs the worker and the heartbeats until shutdown. */
  run(): Promise<void>;
  shutdown(): void;
}

/** Reports (registrations) sent at once when a fleet starts. */
const REPORT_CONCURRENCY = 16;

/** The failure type of a driver call for a host this process does not serve (any longer). */
export const HOST_NOT_SERVED = 'HostNotServed';

/**
 * One activity map for many hosts: each call goes to the activities of the host its input names. A
 * host this process does not serve fails the call for good, so a build goes on to its alternates.
 */
function dispatchByHost(perHost: Map<string, Record<string, (...args: never[]) => Promise<unknown>>>) {
  const names = new Set([...perHost.values()].flatMap((a) => Object.keys(a)));
  const call = (name: string, input: { host?: string } | undefined, ...rest: unknown[]) => {
    const fn = perHost.get(input?.host ?? '')?.[name] as ((...a: unknown[]) => Promise<unknown>) | undefined;
    if (!fn)
      throw ApplicationFailure.nonRetryable(
        `host ${input?.host ?? '(none named)'} is not served by this compute service`,
        HOST_NOT_SERVED,
      );
    return fn(input, ...rest);
  };
  return {
    ...Object.fromEntries(
      [...names].map((name) => [
        name,
        (input: { host?: string } | undefined, ...rest: unknown[]) => call(name, input, ...rest),
      ]),
    ),
    /**
     * One activity for many hosts of this fleet (`FleetCallInput`): each host's answer, or why it
     * could not; a read of a thousand hosts is one task, not a thousand.
     */
    async [FLEET_CALL]({ activity, hosts, input }: FleetCallInput): Promise<FleetCallResult> {
      const out: FleetCallResult = {};
      await Promise.all(
        hosts.map(async (host) => {
          try {
            out[host] = { value: await call(activity, { ...input, host }) };
          } catch (err) {
            out[host] = { error: err instanceof Error ? err.message : String(err) };
          }
        }),
      );
      return out;
    },
  };
}

export async function createComputeNode(opts: ComputeNodeOptions): Promise<ComputeNode> {
  const single = !opts.fleet;
  const hosts: ComputeHost[] =
    opts.fleet?.hosts ??
    (opts.host && opts.driver
      ? [{ host: opts.host, driver: opts.driver, extraActivities: opts.extraActivities }]
      : []);
  if (hosts.length === 0) throw new Error('a compute node needs a host and its driver, or a fleet of hosts');
  const service = opts.fleet?.service ?? hosts[0].host;
  const taskQueue = single ? computeTaskQueue(hosts[0].host) : fleetTaskQueue(service);
  // A driver whose instances outlive the node finds them again before the node takes work.
  for (const h of hosts) await h.driver.start?.();
  const syncs = hosts.map((h) => instanceSync({ client: opts.client, host: h.host, driver: h.driver }));
  // Metrics of a fleet are labelled with its service: a label per host would be a thousand series.
  const activitiesOf = (h: ComputeHost) => ({
    ...createComputeActivities({ driver: h.driver, host: single ? h.host : service }),
    ...h.extraActivities,
  });
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue,
    activities: single
      ? activitiesOf(hosts[0])
      : dispatchByHost(new Map(hosts.map((h) => [h.host, activitiesOf(h)]))),
    // Heartbeats carry spawn progress and bring cancellation (a delete during the build): send them
    // within a second rather than at Temporal's default of 80% of the heartbeat timeout.
    maxHeartbeatThrottleInterval: '1 second',
    ...opts.tuning,
  });
  const hostIp =
    Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i?.family === 'IPv4' && !i.internal)?.address ?? '127.0.0.1';
  const inventoryOf = (h: ComputeHost): HostReport['inventory'] => ({
    ...h.driver.inventory(),
    availabilityZone: opts.availabilityZone,
    driver: h.driver.name,
    hostIp,
    capabilities: [...h.driver.capabilities],
    taskQueue,
  });
  // What each host's entity was last told: a host is reported again only when its inventory changes.
  const reported = new Map<string, string>();
  let hostsTold = false;
  const report = async () => {
    await mapLimit(hosts, REPORT_CONCURRENCY, async (h) => {
      const inventory = inventoryOf(h);
      const key = JSON.stringify(inventory);
      if (reported.get(h.host) === key) return;
      await reportHost(opts.client, h.host, { at: Date.now(), inventory, service });
      reported.set(h.host, key);
    });
    // The service's heartbeat: one per period for every host, with the set of hosts until it is told.
    await heartbeatService(opts.client, service, {
      at: Date.now(),
      ...(hostsTold ? {} : { hosts: hosts.map((h) => h.host) }),
    });
    hostsTold = true;
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
  const syncAll = (starting: boolean) => Promise.all(syncs.map((s) => s.once(starting)));
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
      await syncAll(true);
      const syncTimer = setInterval(() => void syncAll(false), opts.syncMs ?? 10_000);
      try {
        await worker.run();
      } finally {
        clearInterval(timer);
        clearInterval(syncTimer);
        await inFlight;
        await Promise.all(syncs.map((s) => s.idle()));
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
function instanceSync({ driver, client, host }: { driver: VirtDriver; client: Client; host: string }) {
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
