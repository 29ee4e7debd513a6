import type { FilterFactory } from '../../activities/control';
import type { HostState } from '../../entities/host/types';

/** Project ids an aggregate keeps its hosts for: `filter_tenant_id` and `filter_tenant_id_*`, comma lists. */
function isolatedFor(state: HostState): string[] {
  return Object.values(state.attributes ?? {}).flatMap((attrs) =>
    Object.entries(attrs)
      .filter(([k]) => k === 'filter_tenant_id' || k.startsWith('filter_tenant_id_'))
      .flatMap(([, v]) => v.split(',').map((s) => s.trim())),
  );
}

/**
 * Nova's AggregateMultiTenancyIsolation: a host in an aggregate with `filter_tenant_id` metadata takes
 * only those projects' servers; other hosts take anyone's.
 */
export const tenantIsolationFilter: FilterFactory = (args) => {
  const project = String(args.projectId);
  return {
    name: 'AggregateMultiTenancyIsolation',
    passes: (h) => {
      const allowed = isolatedFor(h.state);
      return allowed.length === 0 || allowed.includes(project);
    },
  };
};
