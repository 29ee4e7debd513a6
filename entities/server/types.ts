import type { Fault, Flavor } from '../../common/types';

/** server/<uuid>: its state and what its messages carry. */

export type VmState = 'building' | 'active' | 'stopped' | 'error' | 'deleted';

/** Nova's power states. */
export const PowerState = {
  NOSTATE: 0,
  RUNNING: 1,
  PAUSED: 3,
  SHUTDOWN: 4,
  CRASHED: 6,
  SUSPENDED: 7,
} as const;

export interface InstanceActionEvent {
  event: string;
  startTime: string;
  finishTime: string | null;
  result: 'Success' | 'Error' | null;
  traceback: string | null;
  host: string | null;
}

export interface InstanceAction {
  action: string;
  requestId: string;
  /** Null for what novaflow did on its own (Nova's power state sync), as Nova's admin context has no user. */
  userId: string | null;
  projectId: string;
  startTime: string;
  updatedAt: string;
  message: string | null;
  events: InstanceActionEvent[];
}

/** The static part of a server: what it keeps of its create request, and its identity fixed at admission. */
export interface ServerSeed {
  id: string;
  name: string;
  launchIndex: number;
  projectId: string;
  userId: string;
  reservationId: string;
  flavor: Flavor;
  imageRef: string;
  metadata: Record<string, string>;
  availabilityZone: string | null;
  keyName: string | null;
  securityGroups: string[];
  diskConfig: 'AUTO' | 'MANUAL';
  description: string | null;
  /**
   * The create's `networks`: `auto`, `none`, or NICs asked for; absent when not given (and on servers
   * made before it was kept). The core only carries it; an extension that builds networks reads it.
   */
  networks?: RequestedNetworks;
  /** What the extensions' create checks captured for the server's views, by name (absent when nothing). */
  shown?: Record<string, Record<string, unknown>>;
  /** What the extensions' create checks captured for the guest, by name (absent when nothing). */
  guest?: Record<string, Record<string, unknown>>;
  /** Request fields that extensions added to the create schema, by field name. */
  extra: Record<string, unknown>;
  /** The create's `accessIPv4` / `accessIPv6` (absent on servers made before they were kept). */
  accessIPv4?: string;
  accessIPv6?: string;
  /** The hostname a create or update gave (2.90); absent: made from the name. */
  hostname?: string;
  /** Server tags (2.26), from the create (2.52) and the tag routes. */
  tags?: string[];
}

/** Who locked a server and why (Nova's `locked_by` and 2.73's `locked_reason`). */
export interface ServerLock {
  by: 'owner' | 'admin';
  reason: string | null;
}

/** One NIC a create asks for (Nova's `networks` entries). */
export interface RequestedNic {
  uuid?: string;
  port?: string;
  fixed_ip?: string;
  tag?: string;
}

export type RequestedNetworks = 'auto' | 'none' | RequestedNic[];

/** The state of one server entity, as its `describe` query returns it. */
export interface ServerRecord extends ServerSeed {
  vmState: VmState;
  taskState: string | null;
  powerState: number;
  host: string | null;
  progress: number;
  fault: Fault | null;
  created: string;
  updated: string;
  launchedAt: string | null;
  terminatedAt: string | null;
  /** The zone of the host it runs on (absent before it is placed, and on older records). */
  hostZone?: string;
  /** The task queue of its host's driver calls when it is not `compute/<host>` (a fleet's host). */
  hostQueue?: string;
  /** Set while the server is locked; absent or null when it is not. */
  locked?: ServerLock | null;
  /** Hosts tried, in order, for the current build. */
  attempts: { host: string; result: 'Success' | 'Error' | null; message: string | null }[];
  actions: InstanceAction[];
  /**
   * What each build step prepared and still holds (its `view`), by step name: set before the step
   * runs, removed once it is released.
   */
  prepared?: Record<string, Record<string, unknown>>;
}
