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
}

export interface HostReport {
  inventory: HostInventory;
  /** Wall-clock ms at the compute node when it sent the report. */
  at: number;
}

/** The state of one compute host, as its `state` query returns it. */
export interface HostState {
  name: string;
  inventory: HostInventory | null;
  enabled: boolean;
  disabledReason: string | null;
  lastHeartbeat: number;
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
