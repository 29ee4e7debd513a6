/**
 * Types that cross layers: API <-> workflows <-> activities <-> workers. Plain, serializable data only.
 */

/** A flavor of Nova's catalogue. `ram` in MB, `disk` in GB. */
export interface Flavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  ephemeral: number;
  swap: number;
  /** Its extra specs when the server was created (shown in its view from 2.47); absent: none. */
  extraSpecs?: Record<string, string>;
}

/** Resources one server holds on a host. */
export interface Resources {
  vcpus: number;
  ram: number;
  disk: number;
}

/** Who asks: parsed from the token and request headers. */
export interface Caller {
  userId: string;
  projectId: string;
  /** The token's roles, implied ones included (admin implies member implies reader). */
  roles: string[];
  /** Whether the caller holds the admin role. */
  isAdmin: boolean;
  requestId: string;
}

export interface Fault {
  code: number;
  message: string;
  created: string;
  details?: string;
}

/** Where a server goes: its host plus alternates to try when a spawn says "try elsewhere". */
export interface Placement {
  host: string;
  alternates: string[];
  /** The zone of the host and of each alternate, as the scheduler saw them (absent on older placements). */
  zones?: Record<string, string>;
  /**
   * The task queue of each host whose driver calls do not go to its own `compute/<host>` (the hosts of
   * a fleet); absent for the others, and on older placements.
   */
  queues?: Record<string, string>;
}
