import { hostZone, usedResources } from '../../entities/host/rules';
import type { Placement } from '../../common/types';
import { computeTaskQueue } from '../../common/names';
import type { HostCandidate, HostFilter, RequestSpec } from './filters';
import type { WeighStrategy } from './weighers';
import { ranksBefore, weigh } from './weighers';
import { Heap } from './heap';

/** How many alternates each server keeps: with its host, Nova's max_attempts of 3. */
export const ALTERNATES = 2;

export interface PlanResult {
  /** Placements in launch order; shorter than asked when the rest did not fit. */
  placements: Placement[];
  /** Why the first server that did not fit was refused: hosts each filter removed. */
  refusal: string | null;
  /** The filter that removed the last hosts left (or `no_hosts` when there were none). */
  refusedBy: string | null;
}

/** Runs the filters one after another like Nova and says how many hosts each removed. */
export function explainRefusal(
  hosts: HostCandidate[],
  filters: readonly HostFilter[],
  spec: RequestSpec,
): { refusal: string; refusedBy: string } {
  let left = hosts;
  let refusedBy = 'no_hosts';
  const removed: string[] = [];
  for (const f of filters) {
    const kept = left.filter((h) => f.passes(h, spec));
    if (kept.length < left.length) removed.push(`${f.name} removed ${left.length - kept.length}`);
    if (kept.length === 0 && left.length > 0) refusedBy = f.name;
    left = kept;
  }
  return {
    refusal: `${hosts.length} host(s) considered; ${removed.length ? removed.join(', ') : 'no filter removed any'}`,
    refusedBy,
  };
}

/**
 * Places up to `count` servers one by one: filter, weigh, take the best host and keep the next ones
 * as alternates. Each choice is added to the candidate's planned usage, so later servers see it.
 * With local filters only (the core's are), hosts are filtered once and kept ranked in a heap; after
 * each server only the host it went to is filtered and ranked again: O(hosts + servers x log hosts)
 * instead of O(servers x hosts x log hosts). The placements are the same either way.
 */
export function plan(
  hosts: HostCandidate[],
  filters: readonly HostFilter[],
  spec: RequestSpec,
  count: number,
  strategy: WeighStrategy,
): PlanResult {
  for (const h of hosts) h.used = usedResources(h.state.allocations);
  return filters.every((f) => f.local)
    ? planRanked(hosts, filters, spec, count, strategy)
    : planByFullScan(hosts, filters, spec, count, strategy);
}

/** Adds one server to the host's planned usage and says where it went, with its alternates. */
function place(best: HostCandidate, alternates: HostCandidate[], spec: RequestSpec): Placement {
  best.planned.vcpus += spec.resources.vcpus;
  best.planned.ram += spec.resources.ram;
  best.planned.disk += spec.resources.disk;
  best.plannedCount += 1;
  const zones: Record<string, string> = {};
  const queues: Record<string, string> = {};
  for (const h of [best, ...alternates]) {
    zones[h.state.name] = hostZone(h.state) ?? 'nova';
    const queue = h.state.inventory?.taskQueue;
    if (queue && queue !== computeTaskQueue(h.state.name)) queues[h.state.name] = queue;
  }
  return {
    host: best.state.name,
    alternates: alternates.map((h) => h.state.name),
    zones,
    ...(Object.keys(queues).length > 0 ? { queues } : {}),
  };
}

/** The heap planner (local filters only): see plan. */
function planRanked(
  hosts: HostCandidate[],
  filters: readonly HostFilter[],
  spec: RequestSpec,
  count: number,
  strategy: WeighStrategy,
): PlanResult {
  const passes = (h: HostCandidate) => filters.every((f) => f.passes(h, spec));
  const ranked = new Heap<HostCandidate>((a, b) => ranksBefore(a, b, spec.ratios, strategy));
  for (const h of hosts) if (passes(h)) ranked.push(h);
  const placements: Placement[] = [];
  for (let i = 0; i < count; i++) {
    const best = ranked.pop();
    if (!best) return { placements, ...explainRefusal(hosts, filters, spec) };
    const alternates: HostCandidate[] = [];
    for (let k = 0; k < ALTERNATES && ranked.size > 0; k++) alternates.push(ranked.pop()!);
    placements.push(place(best, alternates, spec));
    for (const h of alternates) ranked.push(h);
    if (passes(best)) ranked.push(best);
  }
  return { placements, refusal: null, refusedBy: null };
}

/** Every filter on every host for each server: for plans with a filter that is not local. */
export function planByFullScan(
  hosts: HostCandidate[],
  filters: readonly HostFilter[],
  spec: RequestSpec,
  count: number,
  strategy: WeighStrategy,
): PlanResult {
  const placements: Placement[] = [];
  for (let i = 0; i < count; i++) {
    const passing = hosts.filter((h) => filters.every((f) => f.passes(h, spec)));
    if (passing.length === 0) return { placements, ...explainRefusal(hosts, filters, spec) };
    const [best, ...rest] = weigh(passing, spec.ratios, strategy);
    placements.push(place(best, rest.slice(0, ALTERNATES), spec));
  }
  return { placements, refusal: null, refusedBy: null };
}
