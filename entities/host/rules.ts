import type { Resources } from '../../common/types';
import type { AllocationRatios, ClaimRequest, HostInventory, HostState, ServiceState } from './types';

/** The host entity's rules: pure and deterministic, unit-tested without a server. */

/** The failure type of a claim the host refused (it does not fit, or the host takes no servers). */
export const CLAIM_REFUSED = 'ClaimRefused';

/** What a host can hold under the allocation ratios (Nova's overcommit). */
export function capacity(inv: HostInventory, ratios: AllocationRatios): Resources {
  return { vcpus: inv.vcpus * ratios.cpu, ram: inv.ram * ratios.ram, disk: inv.disk * ratios.disk };
}

/** Resources in use on a host: the sum of its allocations. */
export function usedResources(allocations: Record<string, Resources>): Resources {
  const used = { vcpus: 0, ram: 0, disk: 0 };
  for (const r of Object.values(allocations)) {
    used.vcpus += r.vcpus;
    used.ram += r.ram;
    used.disk += r.disk;
  }
  return used;
}

/** Why a batch of claims cannot be taken, or null when all of it fits. */
export function claimRefusal(state: HostState, req: ClaimRequest): string | null {
  if (!state.inventory) return `host ${state.name} has not reported its inventory`;
  if (!state.enabled) return `host ${state.name} is disabled`;
  const inv: HostInventory = state.inventory;
  const used = usedResources(state.allocations);
  for (const { key, resources } of req.claims) {
    if (state.allocations[key]) continue;
    used.vcpus += resources.vcpus;
    used.ram += resources.ram;
    used.disk += resources.disk;
  }
  const cap = capacity(inv, req.ratios);
  if (used.vcpus > cap.vcpus) return `host ${state.name} has too few vCPUs`;
  if (used.ram > cap.ram) return `host ${state.name} has too little RAM`;
  if (used.disk > cap.disk) return `host ${state.name} has too little disk`;
  return null;
}

/** How long a host may go without a heartbeat before it is down, unless configured (NOVAFLOW_HOST_DOWN_AFTER_MS). */
export const DEFAULT_HOST_DOWN_AFTER_MS = 20_000;

/** What `withServiceLiveness` needs of a compute service. */
export interface ServiceLiveness {
  lastHeartbeat: number;
  hosts: ReadonlySet<string>;
}

export function serviceLiveness(state: ServiceState): ServiceLiveness {
  return { lastHeartbeat: state.lastHeartbeat, hosts: new Set(state.hosts) };
}

/** A host is up while its heartbeats are recent (its service's: see `withServiceLiveness`). */
export function isAlive(state: HostState, downAfterMs: number, now = Date.now()): boolean {
  return now - state.lastHeartbeat <= downAfterMs;
}

/**
 * Whether a host was up when its state was read (`readAt`), for a plan on a read made earlier and
 * reused: a reused read must not age its hosts into looking down (the heartbeat it saw was recent
 * then). A host that died since shows at the next read, at most the reuse period later.
 */
export function aliveWhenRead(
  state: HostState,
  downAfterMs: number,
  readAt: number,
  now = Date.now(),
): boolean {
  return isAlive(state, downAfterMs, Math.min(now, readAt));
}

/**
 * The host's state with its service's liveness: the last heartbeat of the compute service that serves
 * it, while that service still lists it. A host its service no longer serves keeps the time of its own
 * last report, and so goes down after the down-after period; a host of no known service keeps its own.
 */
export function withServiceLiveness(
  state: HostState,
  services: ReadonlyMap<string, ServiceLiveness>,
): HostState {
  const service = state.service ? services.get(state.service) : undefined;
  if (!service || !service.hosts.has(state.name)) return state;
  return { ...state, lastHeartbeat: Math.max(state.lastHeartbeat, service.lastHeartbeat) };
}

/** Every value operators gave a key on this host, across sources, in source order. */
export function hostAttribute(state: HostState, key: string): string[] {
  const all = state.attributes ?? {};
  return Object.keys(all)
    .sort()
    .flatMap((source) => (all[source][key] === undefined ? [] : [all[source][key]]));
}

/** The host's availability zone: the one operators put it in (an aggregate's), else the one it reports. */
export function hostZone(state: HostState): string | null {
  return hostAttribute(state, 'availability_zone')[0] ?? state.inventory?.availabilityZone ?? null;
}
