import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { reservationWorkflowId, serverWorkflowId } from '../common/names';
import type { ReservationRecord } from '../entities/reservation/types';
import { mapLimit } from '../common/concurrency';
import { bareStart } from './floor';
import {
  historyTotals,
  load,
  percentile,
  round,
  type HistoryTotals,
  type LoadResult,
  type NovaApi,
} from './measure';

/** What every scenario needs: the API, a Temporal client and somewhere to report errors. */
export interface ScenarioContext {
  api: NovaApi;
  client: Client;
  /** Records an error; the run reports every one and fails when there is any. */
  error(where: string, err: unknown): void;
  hostAllocations(): Promise<number>;
}

/** The image every bench create boots (the catalog's default guest). */
export const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const ADMIN = 'admin:admin';

/** Lifts a bench project's quota so only the pipeline, never the limits, decides what runs. */
export async function unlimitedQuota(api: NovaApi, project: string): Promise<void> {
  const r = await api('PUT', `/v2.1/os-quota-sets/${project}`, ADMIN, {
    quota_set: { instances: -1, cores: -1, ram: -1 },
  });
  if (r.status !== 200) throw new Error(`quota update for ${project} answered ${r.status}`);
}

/** `POST /servers` (m1.tiny) and the reservation id it answers with. */
async function create(api: NovaApi, project: string, name: string, count: number): Promise<string> {
  const r = await api<{ reservation_id: string }>('POST', '/v2.1/servers', `bench:${project}`, {
    server: {
      name,
      flavorRef: '1',
      imageRef: IMAGE,
      min_count: count,
      max_count: count,
      return_reservation_id: true,
    },
  });
  if (r.status !== 202) throw new Error(`POST /servers answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body.reservation_id;
}

/** The reservation's final record; throws unless every server it admitted went ACTIVE. */
async function settled(client: Client, reservationId: string, expected: number): Promise<ReservationRecord> {
  const record: ReservationRecord = await client.workflow
    .getHandle(reservationWorkflowId(reservationId))
    .result();
  const active = record.active ?? Object.values(record.outcomes).filter((o) => o.status === 'ACTIVE').length;
  if (record.serverIds.length !== expected || active !== expected)
    throw new Error(
      `reservation ${reservationId}: ${active} of ${expected} servers ACTIVE (stage ${record.stage})`,
    );
  return record;
}

export interface CreateResult {
  n: number;
  seconds: number;
  secondsPerServer: number;
  /** Reservation plus server workflows, per server. */
  history: HistoryTotals;
  /** The largest event of the reservation's history, in KB: its biggest payload and then some. */
  largestPayloadKb?: number;
}

/**
 * The largest event of a workflow's histories, every run of it (each one's predecessor named in its
 * first event), encoded, in KB (Temporal limits a payload to 2 MB and warns at 512 KB). Read 50 events
 * a page: at the server's default page size, a page of the first run of a request of 10,000 (ten
 * schedule results of ~300 KB among its events) came as one 5.6 MB message, over the client's 4 MB.
 */
async function largestEventKb(client: Client, workflowId: string): Promise<number> {
  let largest = 0;
  for (let runId: string | undefined = undefined; ;) {
    let first: temporal.api.history.v1.IHistoryEvent | undefined;
    let nextPageToken: Uint8Array | undefined = undefined;
    do {
      const page: temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse =
        await client.workflowService.getWorkflowExecutionHistory({
          namespace: client.options.namespace,
          execution: { workflowId, runId },
          maximumPageSize: 50,
          nextPageToken,
        });
      for (const ev of page.history?.events ?? []) {
        first ??= ev;
        largest = Math.max(largest, temporal.api.history.v1.HistoryEvent.encode(ev).finish().length);
      }
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    runId = first?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
    if (!runId) break;
  }
  return round(largest / 1024, 1);
}

/** One `POST /servers` with min = max = n, from the request until every server is ACTIVE. */
export async function runCreate(ctx: ScenarioContext, project: string, n: number): Promise<CreateResult> {
  const t0 = performance.now();
  const rid = await create(ctx.api, project, `create-${n}`, n);
  const record = await settled(ctx.client, rid, n);
  const seconds = (performance.now() - t0) / 1000;
  const ids = [reservationWorkflowId(rid), ...record.serverIds.map(serverWorkflowId)];
  return {
    n,
    seconds,
    secondsPerServer: seconds / n,
    history: await historyTotals(ctx.client, ids, n),
    largestPayloadKb: await largestEventKb(ctx.client, reservationWorkflowId(rid)),
  };
}

export interface AdmissionResult {
  callers: number;
  post: LoadResult;
  bareStart: LoadResult;
  /** POST p99 over bare start p99. */
  p99Ratio: number;
}

/**
 * Single-server creates from `callers` concurrent loops beside bare workflow starts made the same
 * way. The creates' background work (schedule, spawn) is waited for before the next level.
 */
export async function runAdmission(
  ctx: ScenarioContext,
  project: string,
  callers: number,
  total: number,
): Promise<AdmissionResult> {
  const bare = await load(
    callers,
    total,
    (i) => bareStart(ctx.client, `bare/${callers}/${i}`),
    (e) => ctx.error(`bare start x${callers}`, e),
  );
  const rids: string[] = [];
  const post = await load(
    callers,
    total,
    async (i) => {
      rids.push(await create(ctx.api, project, `adm-${callers}-${i}`, 1));
    },
    (e) => ctx.error(`admission x${callers}`, e),
  );
  await mapLimit(rids, 32, (rid) =>
    settled(ctx.client, rid, 1).catch((e) => ctx.error('admission settle', e)),
  );
  return { callers, post, bareStart: bare, p99Ratio: round(post.p99Ms / bare.p99Ms, 2) };
}

export interface ChurnResult {
  servers: number;
  callers: number;
  seconds: number;
  serversPerSecond: number;
  errors: number;
  /** Seconds from POST to every server ACTIVE (boot), and from DELETE to the server gone (delete). */
  boot: { p50: number; p95: number };
  delete: { p50: number; p95: number };
  /** Quota usage of the churn project and allocations on the hosts once everything is deleted. */
  quotaLeft: { instances: number; cores: number; ram: number };
  hostAllocationsLeft: number;
}

interface Limits {
  limits: { absolute: { totalInstancesUsed: number; totalCoresUsed: number; totalRAMUsed: number } };
}

/** Polls until `check` holds or `ms` pass; returns the last value either way. */
async function settle<T>(ms: number, read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * `servers` single-server creates, each deleted as soon as it is ACTIVE, from `callers` loops. Each
 * loop waits for its server's workflow to end (it ends when the delete is done) before the next one.
 */
export async function runChurn(
  ctx: ScenarioContext,
  project: string,
  servers: number,
  callers: number,
): Promise<ChurnResult> {
  const token = `bench:${project}`;
  let errors = 0;
  const boots: number[] = [];
  const deletes: number[] = [];
  const t0 = performance.now();
  await mapLimit(
    Array.from({ length: servers }, (_, i) => i),
    callers,
    async (i) => {
      try {
        const b0 = performance.now();
        const record = await settled(ctx.client, await create(ctx.api, project, `churn-${i}`, 1), 1);
        boots.push((performance.now() - b0) / 1000);
        const id = record.serverIds[0];
        const d0 = performance.now();
        const del = await ctx.api('DELETE', `/v2.1/servers/${id}`, token);
        if (del.status !== 204) throw new Error(`DELETE /servers/${id} answered ${del.status}`);
        await ctx.client.workflow.getHandle(serverWorkflowId(id)).result();
        deletes.push((performance.now() - d0) / 1000);
      } catch (err) {
        errors++;
        ctx.error('churn', err);
      }
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  const limits = await settle(
    10_000,
    async () => (await ctx.api<Limits>('GET', '/v2.1/limits', token)).body.limits.absolute,
    (a) => a.totalInstancesUsed === 0 && a.totalCoresUsed === 0 && a.totalRAMUsed === 0,
  );
  const quotaLeft = {
    instances: limits.totalInstancesUsed,
    cores: limits.totalCoresUsed,
    ram: limits.totalRAMUsed,
  };
  const hostAllocationsLeft = await settle(10_000, ctx.hostAllocations, (n) => n === 0);
  if (quotaLeft.instances || quotaLeft.cores || quotaLeft.ram)
    ctx.error('churn', new Error(`quota not released: ${JSON.stringify(quotaLeft)}`));
  if (hostAllocationsLeft) ctx.error('churn', new Error(`${hostAllocationsLeft} host allocation(s) left`));
  return {
    servers,
    callers,
    seconds: round(seconds, 2),
    serversPerSecond: round(servers / seconds, 1),
    errors,
    boot: { p50: round(percentile(boots, 50), 3), p95: round(percentile(boots, 95), 3) },
    delete: { p50: round(percentile(deletes, 50), 3), p95: round(percentile(deletes, 95), 3) },
    quotaLeft,
    hostAllocationsLeft,
  };
}
