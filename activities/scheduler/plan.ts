import { hostZone } from '../../entities/host/rules';
import type { Placement } from '../../common/types';
import type { HostCandidate, HostFilter, RequestSpec } from './filters';
import type { WeighStrategy } from './weighers';
import { weigh } from './weighers';

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
 */
export function plan(
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
    best.planned.vcpus += spec.resources.vcpus;
    best.planned.ram += spec.resources.ram;
    best.planned.disk += spec.resources.disk;
    best.plannedCount += 1;
    const alternates = rest.slice(0, ALTERNATES);
    const zones: Record<string, string> = {};
    for (const h of [best, ...alternates]) zones[h.state.name] = hostZone(h.state) ?? 'nova';
    placements.push({ host: best.state.name, alternates: alternates.map((h) => h.state.name), zones });
  }
  return { placements, refusal: null, refusedBy: null };
}
