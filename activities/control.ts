import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { isGrpcServiceError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NovaError, toFailure } from '../common/errors';
import type { Placement } from '../common/types';
import type { AllocationRatios } from '../entities/host/types';
import type { CountedReserveRequest, QuotaLimits, QuotaReserveResult } from '../entities/quota/types';
import { setQuotaDefaultsSignal } from '../entities/quota/messages';
import { isClosed, isNotFound } from '../entities/client-errors';
import { NovaKind } from '../common/search-attributes';
import { eq, visibilityQuery } from '../common/visibility';
import type {
  AwaitAdmissionInput,
  ClaimOnHostInput,
  EntitySignal,
  FilterSpec,
  ReserveQuotaInput,
  ScheduleInput,
  ScheduleResult,
  ServerBatch,
  ServerWorkflowInput,
} from '../entities/reservation/stages';
import { expandBatch, flavorResources } from '../entities/reservation/stages';
import { mapLimit } from '../common/concurrency';
import { HostStateCache, type Freshness } from './host-cache';
import { admissionAnswer, reserveCountedOn, reserveQuotaOn } from '../entities/quota/client';
import { aliveWhenRead } from '../entities/host/rules';
import { claimOn, releaseClaimsOn } from '../entities/host/client';
import { startServer } from '../entities/server/client';
import type { HostCandidate, HostFilter, RequestSpec } from './scheduler/filters';
import { CORE_FILTERS } from './scheduler/filters';
import { plan } from './scheduler/plan';
import type { WeighStrategy } from './scheduler/weighers';
import { noValidHost as noValidHostCount, schedulePlans } from '../common/observability/metrics';

export interface SchedulerConfig {
  ratios: AllocationRatios;
  /** A host whose last heartbeat is older than this is down. */
  downAfterMs: number;
  weigher: WeighStrategy;
}

/** Builds an extension's filter from the arguments its stage hook put into the schedule input. */
export type FilterFactory = (args: Record<string, unknown>) => HostFilter;

export interface ControlDeps {
  client: Client;
  scheduler: SchedulerConfig;
  /** Filters extensions provide, by the name a FilterSpec uses. */
  filterFactories?: Record<string, FilterFactory>;
  /** How long a reservation waits for the API's batched quota update before reserving itself. */
  admissionWaitMs?: number;
}

/** How many times the scheduler re-plans after a host refused a claim that raced with another request. */
const CLAIM_ROUNDS = 5;
/** How long the scheduler plans on host states it read before, instead of asking each host again. */
const HOST_CACHE_TTL_MS = 1000;
/** Server workflows started at once by the spawn stage. */
const START_CONCURRENCY = 32;

/** gRPC codes Temporal answers for a request that can never succeed as it is. */
const PERMANENT_CODES = new Set([
  3, // INVALID_ARGUMENT: an id or attribute Temporal refuses (too long, malformed)
  11, // OUT_OF_RANGE
  12, // UNIMPLEMENTED
]);

/** The failure type of an activity that can never succeed with its input: retrying cannot help. */
export const PERMANENT_FAILURE = 'PermanentFailure';

/**
 * Runs an activity body; the one place its errors cross into the workflow. A Nova fault becomes its
 * non-retryable failure (a quota refusal, say); errors no retry can fix become non-retryable
 * `PermanentFailure`s, so the workflow learns at once why it cannot go on instead of retrying the
 * same refusal for ever.
 */
async function acrossTheBoundary<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof NovaError) throw toFailure(err);
    for (
      let cur: unknown = err, depth = 0;
      cur && depth < 8;
      cur = (cur as { cause?: unknown }).cause, depth++
    ) {
      const code = (cur as { code?: unknown }).code;
      if (isGrpcServiceError(cur) && typeof code === 'number' && PERMANENT_CODES.has(code)) {
        throw ApplicationFailure.nonRetryable((cur as Error).message, PERMANENT_FAILURE);
      }
    }
    throw err;
  }
}

/**
 * Tells Temporal the activity is alive and how far it got. A local activity (the spawn stage's start
 * of one chunk runs as one) has no heartbeat to send: the workflow task it runs in is its deadline.
 */
function beat(details: unknown): void {
  const ctx = Context.current();
  if (!ctx.info.isLocal) ctx.heartbeat(details);
}

/** Control-plane activities: quota, scheduling and starting servers. They talk to Temporal only. */
export function createControlActivities(deps: ControlDeps) {
  const activities = controlActivities(deps);
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      (...args: unknown[]) => acrossTheBoundary(() => (fn as (...a: unknown[]) => Promise<unknown>)(...args)),
    ]),
  ) as typeof activities;
}

function controlActivities({ client, scheduler, filterFactories = {}, admissionWaitMs }: ControlDeps) {
  const hostCache = new HostStateCache(client, HOST_CACHE_TTL_MS);
  const filtersFor = (specs: FilterSpec[]): HostFilter[] => [
    ...CORE_FILTERS,
    ...specs.map((s) => {
      const factory = filterFactories[s.name];
      if (!factory)
        throw ApplicationFailure.nonRetryable(`no filter named ${s.name} is registered`, 'UnknownFilter');
      return factory(s.args);
    }),
  ];

  const claim = (host: string, claims: { key: string; resources: ClaimOnHostInput['resources'] }[]) =>
    claimOn(client, host, claims, scheduler.ratios);

  /** Gives back every claim any host holds for these servers (read from fresh host states). */
  const releaseEarlierClaims = async (serverIds: string[], freshness: Freshness) => {
    const ids = new Set(serverIds);
    const held = (await hostCache.get(freshness)).flatMap((s) =>
      Object.keys(s.allocations)
        .filter((key) => ids.has(key))
        .map((key) => ({ host: s.name, key })),
    );
    if (held.length === 0) return;
    await releaseClaimsOn(client, held);
    for (const h of held) hostCache.released(h.host, [h.key]);
  };

  return {
    /** admit: reserves quota for the request, creating the project's quota entity on first use. */
    /** admit, seen from the reservation: the answer its batched update gave, or its own reserve. */
    async awaitAdmission(input: AwaitAdmissionInput): Promise<QuotaReserveResult> {
      return admissionAnswer(client, input, admissionWaitMs);
    },

    /** One unit of a counted resource for an entity that owns it (a server group); 403 beyond the limit. */
    async reserveCounted(input: CountedReserveRequest & { projectId: string }): Promise<void> {
      const { projectId, ...req } = input;
      await reserveCountedOn(client, projectId, req);
    },

    async reserveQuota(input: ReserveQuotaInput): Promise<QuotaReserveResult> {
      return reserveQuotaOn(client, input);
    },

    /** schedule: filters and weighs hosts, then claims every placement on its host in one batch per host. */
    async scheduleServers(input: ScheduleInput): Promise<ScheduleResult> {
      // A retry after the worker of an earlier attempt died: that attempt's claims for these servers
      // stand on hosts this plan may not choose, and nothing else would ever give them back.
      // A local schedule that may have run before (its task tried again, seconds after its worker died,
      // or merely a long first task) reads one listing: the hosts published those claims long since.
      if (Context.current().info.attempt > 1) await releaseEarlierClaims(input.serverIds, 'queried');
      else if (input.retried) await releaseEarlierClaims(input.serverIds, 'listed');
      const filters = filtersFor(input.filters);
      const resources = flavorResources(input.flavor);
      const spec: RequestSpec = {
        resources,
        availabilityZone: input.availabilityZone,
        ratios: scheduler.ratios,
        excludeHosts: new Set(input.excludeHosts),
      };
      const placements: Record<string, Placement> = {};
      let pending = [...input.serverIds];
      const started = process.hrtime.bigint();
      let refusal: string | null = null;
      let refusedBy: string | null = null;
      let fit = 0;
      let freshness: Freshness = 'cached';
      for (let round = 0; round < CLAIM_ROUNDS && pending.length > 0; round++) {
        beat({ round });
        const provisional = freshness !== 'queried';
        const { states, readAt } = await hostCache.read(freshness);
        const candidates: HostCandidate[] = states.map((state) => ({
          state,
          alive: aliveWhenRead(state, scheduler.downAfterMs, readAt),
          planned: { vcpus: 0, ram: 0, disk: 0 },
          plannedCount: 0,
        }));
        const planned = plan(candidates, filters, spec, pending.length, scheduler.weigher);
        refusal = planned.refusal;
        refusedBy = planned.refusedBy;
        fit = Object.keys(placements).length + planned.placements.length;
        // A short plan on cached or listed states proves nothing: plan again on what the hosts say now.
        if (provisional && planned.placements.length < pending.length) {
          freshness = 'queried';
          continue;
        }
        if (fit < input.minCount) break;
        const byHost = new Map<string, string[]>();
        planned.placements.forEach((p, i) => byHost.set(p.host, [...(byHost.get(p.host) ?? []), pending[i]]));
        const refused = new Set<string>();
        await Promise.all(
          [...byHost].map(async ([host, ids]) => {
            const claims = ids.map((key) => ({ key, resources }));
            if (await claim(host, claims)) hostCache.claimed(host, claims);
            else refused.add(host);
          }),
        );
        planned.placements.forEach((p, i) => {
          if (!refused.has(p.host)) placements[pending[i]] = p;
        });
        // Keep launch order: what is still pending are the servers after the last one placed in order.
        pending = pending.filter((id) => !placements[id]);
        if (refused.size === 0) break;
        // Another scheduler got there first: plan the rest on a new listing, which shows its claims.
        if (freshness === 'cached') freshness = 'listed';
      }
      // Only a prefix of the launch order may run; and fewer than min_count means none at all.
      const ordered = input.serverIds.filter((id) => placements[id]);
      const prefix: string[] = [];
      for (const id of input.serverIds) {
        if (!placements[id]) break;
        prefix.push(id);
      }
      const keep = prefix.length >= input.minCount ? new Set(prefix) : new Set<string>();
      const drop = ordered.filter((id) => !keep.has(id));
      const dropped = drop.map((id) => ({ host: placements[id].host, key: id }));
      await releaseClaimsOn(client, dropped);
      for (const d of dropped) hostCache.released(d.host, [d.key]);
      const result: Record<string, Placement> = {};
      for (const id of keep) result[id] = placements[id];
      const noValidHost =
        keep.size === 0
          ? `${Math.max(fit, prefix.length)} of ${input.serverIds.length} server(s) could be placed, ${input.minCount} needed: ${refusal ?? 'hosts refused the claims'}`
          : null;
      if (noValidHost) noValidHostCount.inc({ filter: refusedBy ?? 'claims_refused' });
      schedulePlans.observe(
        { result: noValidHost ? 'no_valid_host' : 'placed' },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
      return { placements: result, noValidHost };
    },

    /** Claims one server's resources on an alternate host; false when the host has no room now. */
    async claimOnHost({ host, key, resources }: ClaimOnHostInput): Promise<boolean> {
      return claim(host, [{ key, resources }]);
    },

    /**
     * Tells every running quota entity its class defaults changed (os-quota-class-sets); a project
     * whose entity is gone gets them when it starts again. Answers how many were told.
     */
    async tellQuotaDefaults(defaults: Partial<QuotaLimits>): Promise<number> {
      let told = 0;
      const query = visibilityQuery(eq(NovaKind, 'quota'), eq('ExecutionStatus', 'Running'));
      for await (const wf of client.workflow.list({ query })) {
        try {
          await client.workflow.getHandle(wf.workflowId).signal(setQuotaDefaultsSignal, defaults);
          told++;
        } catch (err) {
          if (!isNotFound(err)) throw err; // closed since it was listed: it starts with the new defaults
        }
        beat(told);
      }
      return told;
    },

    /**
     * Signals entities for a workflow, as a local activity inside the workflow task that decided it
     * (a server's build report and what its delete gives back), all at once. An entity that is not
     * running any more waits for nothing and holds nothing: its signal is dropped.
     */
    async tell(signals: EntitySignal[]): Promise<void> {
      await Promise.all(
        signals.map(async ({ workflowId, signal, arg }) => {
          try {
            await client.workflow.getHandle(workflowId).signal(signal, arg);
          } catch (err) {
            if (!isClosed(err)) throw err;
          }
        }),
      );
    },

    /** spawn: starts one server entity per instance. Starting one that exists already is a no-op. */
    async startServers(input: { servers?: ServerWorkflowInput[]; batch?: ServerBatch }): Promise<void> {
      const servers = [...(input.servers ?? []), ...(input.batch ? expandBatch(input.batch) : [])];
      let started = 0;
      await mapLimit(servers, START_CONCURRENCY, async (input) => {
        await startServer(client, input);
        beat(++started);
      });
    },
  };
}

export type ControlActivities = ReturnType<typeof createControlActivities>;
