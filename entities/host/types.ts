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
