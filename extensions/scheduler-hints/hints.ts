import type { FilterSpec } from '../../entities/reservation/stages';

/** Extension alias; its interceptor acts only in workflows that captured it. */
export const SCHEDULER_HINTS_ALIAS = 'OS-SCH-HNT';

/** The two body keys Nova accepts; when both come, the first wins. */
export const HINT_KEYS = ['os:scheduler_hints', 'OS-SCH-HNT:scheduler_hints'] as const;

/** The hints this extension acts on, after the create schema normalized them (lists of ids). */
export interface SchedulerHints {
  same_host?: string[];
  different_host?: string[];
  group?: string;
  [other: string]: unknown;
}

/** A server group as the schedule hook needs it: policy, members and the hosts they are on now. */
export interface ResolvedGroup {
  id: string;
  policy: 'affinity' | 'anti-affinity';
  members: string[];
  hosts: string[];
}

/** The hints of a request, from the fields the create schema put into `extra`. */
export function pickHints(extra: Record<string, unknown>): SchedulerHints | null {
  for (const key of HINT_KEYS) {
    const value = extra[key];
    if (value && typeof value === 'object') return value as SchedulerHints;
  }
  return null;
}

/** Filters for same_host / different_host; both are resolved against hosts' allocations when they run. */
export function hostHintFilters(hints: SchedulerHints): FilterSpec[] {
  const out: FilterSpec[] = [];
  if (hints.same_host?.length) out.push({ name: 'SameHostFilter', args: { serverIds: hints.same_host } });
  if (hints.different_host?.length)
    out.push({ name: 'DifferentHostFilter', args: { serverIds: hints.different_host } });
  return out;
}

/** The filter a group's policy needs; the request's own ids matter once earlier rounds claimed some. */
export function groupFilter(group: ResolvedGroup, requestServerIds: string[]): FilterSpec {
  return {
    name: group.policy === 'affinity' ? 'ServerGroupAffinityFilter' : 'ServerGroupAntiAffinityFilter',
    args: { hosts: group.hosts, requestServerIds },
  };
}
