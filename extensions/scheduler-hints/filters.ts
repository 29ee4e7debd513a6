import type { FilterFactory } from '../../activities/control';
import type { HostCandidate } from '../../activities/scheduler/filters';

const ids = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** Whether the host holds a claim for any of these servers (claims are keyed by server id). */
function holdsAny(h: HostCandidate, serverIds: readonly string[]): boolean {
  return serverIds.some((id) => h.state.allocations[id] !== undefined);
}

/** same_host: only hosts that run at least one of the given servers. */
export const sameHostFilter: FilterFactory = (args) => {
  const serverIds = ids(args.serverIds);
  return { name: 'SameHostFilter', local: true, passes: (h) => holdsAny(h, serverIds) };
};

/** different_host: no host that runs any of the given servers. */
export const differentHostFilter: FilterFactory = (args) => {
  const serverIds = ids(args.serverIds);
  return { name: 'DifferentHostFilter', local: true, passes: (h) => !holdsAny(h, serverIds) };
};

/**
 * anti-affinity: not on a host of a member, and at most one server of this request per host (the
 * request's own claims count too, for the scheduler's later claim rounds).
 */
export const antiAffinityFilter: FilterFactory = (args) => {
  const hosts = new Set(ids(args.hosts));
  const own = ids(args.requestServerIds);
  return {
    name: 'ServerGroupAntiAffinityFilter',
    local: true,
    passes: (h) => !hosts.has(h.state.name) && h.plannedCount === 0 && !holdsAny(h, own),
  };
};

/**
 * affinity: on the members' host; a group without members follows the first host this request took.
 * The filter is built per schedule call, so it remembers the candidates it saw to find that host.
 */
export const affinityFilter: FilterFactory = (args) => {
  const hosts = new Set(ids(args.hosts));
  const own = ids(args.requestServerIds);
  const seen = new Map<string, HostCandidate>();
  const anchored = (h: HostCandidate) => h.plannedCount > 0 || holdsAny(h, own);
  return {
    name: 'ServerGroupAffinityFilter',
    passes: (h) => {
      if (hosts.size > 0) return hosts.has(h.state.name);
      seen.set(h.state.name, h);
      const anchor = [...seen.values()].find(anchored);
      return !anchor || anchor.state.name === h.state.name;
    },
  };
};

/** Filters by the names the schedule hook's FilterSpecs use. */
export const SCHEDULER_HINT_FILTERS: Record<string, FilterFactory> = {
  SameHostFilter: sameHostFilter,
  DifferentHostFilter: differentHostFilter,
  ServerGroupAntiAffinityFilter: antiAffinityFilter,
  ServerGroupAffinityFilter: affinityFilter,
};
