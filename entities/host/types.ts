import type { Resources } from '../../common/types';

/** host/NAME: what its messages carry, and its state. */

/** What a compute node reports about itself when it starts and on every heartbeat. */
export interface HostInventory {
  vcpus: number;
  ram: number;
  disk: number;
  availabilityZone: string;
  driver: string;
  hypervisorType: string;
  hypervisorVersion: number;
  hostIp: string;
  capabilities: string[];
  /**
   * The task queue whose worker runs this host's driver calls: `compute/<host>` for a node of its own
   * (absent on older reports), a fleet's shared queue for a host a fleet process serves.
   */
  taskQueue?: string;
}

export interface HostReport {
  inventory: HostInventory;
  /** Wall-clock ms at the compute node when it sent the report. */
  at: number;
  /**
   * The compute service (process) that serves the host: its heartbeats say whether the host is up.
   * Absent on older reports, whose hosts are up while their own reports are recent.
   */
  service?: string;
}

/** The state of one compute host, as its `state` query returns it. */
export interface HostState {
  name: string;
  inventory: HostInventory | null;
  enabled: boolean;
  disabledReason: string | null;
  lastHeartbeat: number;
  /** The compute service whose heartbeats keep the host up (see `HostReport.service`). */
  service?: string;
  allocations: Record<string, Resources>;
  /**
   * What operators said about the host, by source (`aggregate:<uuid>`): key/value metadata scheduler
   * filters read; an `availability_zone` key puts the host in that zone. Absent on older states.
   */
  attributes?: Record<string, Record<string, string>>;
}

/** Sets (or, with null, removes) one source's attributes of a host. */
export interface HostAttributes {
  source: string;
  attributes: Record<string, string> | null;
}

/** A batch of claims on one host; all of it fits or none of it is taken. */
export interface ClaimRequest {
  claims: { key: string; resources: Resources }[];
  ratios: AllocationRatios;
}

export interface AllocationRatios {
  cpu: number;
  ram: number;
  disk: number;
}

/**
 * compute-service/NAME: one compute-node process, which serves one host or (a fleet) many. Liveness is
 * the service's, as in Nova's service group: one heartbeat per process and period, however many hosts
 * it serves, and a host is up while its service is up and still lists it.
 */
export interface ServiceState {
  name: string;
  lastHeartbeat: number;
  hosts: string[];
}

/** A compute service's heartbeat; `hosts` only when the set it serves changed (or it just started). */
export interface ServiceHeartbeat {
  at: number;
  hosts?: string[];
}
