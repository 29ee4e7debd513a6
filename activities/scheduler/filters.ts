import type { Resources } from '../../common/types';
import { parseAvailabilityZone } from '../../common/zones';
import type { AllocationRatios, HostState } from '../../entities/host/types';
import { capacity, hostZone, usedResources } from '../../entities/host/rules';

/** A host as the scheduler sees it while placing one request: its state plus what this request added. */
export interface HostCandidate {
  state: HostState;
  alive: boolean;
  /** Resources this request has placed on the host so far. */
  planned: Resources;
  /** Servers of this request placed on the host so far. */
  plannedCount: number;
  /** What the host's allocations add up to, summed once per plan (the allocations do not change during one). */
  used?: Resources;
}

/** What one server of the request needs. */
export interface RequestSpec {
  resources: Resources;
  availabilityZone: string | null;
  ratios: AllocationRatios;
  excludeHosts: ReadonlySet<string>;
}

/** A named host filter: false removes the host for this server. */
export interface HostFilter {
  readonly name: string;
  passes(host: HostCandidate, spec: RequestSpec): boolean;
  /**
   * Its answer depends only on this host and the request, not on other hosts or on where the plan put
   * other servers: the planner then asks it again only about the host a server just went to. A plan
   * with any filter that is not local asks every filter about every host for each server.
   */
  readonly local?: boolean;
}

/** Free resources under the allocation ratios, after what is allocated and what this request planned. */
export function freeResources(host: HostCandidate, ratios: AllocationRatios): Resources {
  const inv = host.state.inventory;
  if (!inv) return { vcpus: 0, ram: 0, disk: 0 };
  const used = host.used ?? usedResources(host.state.allocations);
  const cap = capacity(inv, ratios);
  return {
    vcpus: cap.vcpus - used.vcpus - host.planned.vcpus,
    ram: cap.ram - used.ram - host.planned.ram,
    disk: cap.disk - used.disk - host.planned.disk,
  };
}

/** Nova's default filters, in the order they run. */
export const CORE_FILTERS: readonly HostFilter[] = [
  { name: 'RetryFilter', local: true, passes: (h, spec) => !spec.excludeHosts.has(h.state.name) },
  {
    name: 'ComputeFilter',
    local: true,
    passes: (h) => h.alive && h.state.enabled && h.state.inventory !== null,
  },
  {
    name: 'AvailabilityZoneFilter',
    local: true,
    passes: (h, spec) => {
      const { zone, host } = parseAvailabilityZone(spec.availabilityZone);
      return (!zone || hostZone(h.state) === zone) && (!host || h.state.name === host);
    },
  },
  {
    name: 'CoreFilter',
    local: true,
    passes: (h, spec) => freeResources(h, spec.ratios).vcpus >= spec.resources.vcpus,
  },
  {
    name: 'RamFilter',
    local: true,
    passes: (h, spec) => freeResources(h, spec.ratios).ram >= spec.resources.ram,
  },
  {
    name: 'DiskFilter',
    local: true,
    passes: (h, spec) => freeResources(h, spec.ratios).disk >= spec.resources.disk,
  },
];
