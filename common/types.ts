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
  isAdmin: boolean;
  requestId: string;
}

/** A validated `POST /servers`, as the reservation workflow receives it. */
export interface CreateRequest {
  reservationId: string;
  requestId: string;
  projectId: string;
  userId: string;
  name: string;
  imageRef: string;
  flavor: Flavor;
  minCount: number;
  maxCount: number;
  metadata: Record<string, string>;
  availabilityZone: string | null;
  keyName: string | null;
  securityGroups: string[];
  diskConfig: 'AUTO' | 'MANUAL';
  description: string | null;
  /** Aliases of the extensions in force when the request was admitted. */
  extensions: string[];
  /** Request fields that extensions added to the create schema, by field name. */
  extra: Record<string, unknown>;
  /**
   * One id per server up to maxCount, fixed by the API, which reserves quota under them before it
   * answers; the reservation's own reserve is then the same update. Absent in requests from before
   * the API reserved (the reservation chose the ids and reserved when its admit update came).
   */
  serverIds?: string[];
  /**
   * Id of the quota update the API decides this request in (one update answers many requests). The
   * reservation reads its answer from that update's outcome instead of asking the quota entity again.
   */
  admissionUpdateId?: string;
  /** Set when the client sent an idempotency key (see api/usecases/idempotency.ts). */
  idempotency?: { requestHash: string };
}

/** What admission decided: the server ids and names are fixed here. */
export interface AdmitResult {
  reservationId: string;
  admitted: number;
  serverIds: string[];
  adminPass: string;
}

export interface Fault {
  code: number;
  message: string;
  created: string;
  details?: string;
}

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
  userId: string;
  projectId: string;
  startTime: string;
  updatedAt: string;
  message: string | null;
  events: InstanceActionEvent[];
}

/** Where a server goes: its host plus alternates to try when a spawn says "try elsewhere". */
export interface Placement {
  host: string;
  alternates: string[];
}

/** The static part of a server: what it keeps of its create request, and its identity fixed at admission. */
export interface ServerSeed extends Pick<
  CreateRequest,
  | 'projectId'
  | 'userId'
  | 'reservationId'
  | 'flavor'
  | 'imageRef'
  | 'metadata'
  | 'availabilityZone'
  | 'keyName'
  | 'securityGroups'
  | 'diskConfig'
  | 'description'
  | 'extra'
> {
  id: string;
  name: string;
  launchIndex: number;
}

/**
 * What a reservation's memo holds, set when the API starts it: enough for any reader to show its
 * servers (BUILD) before their entities exist, from a describe of the reservation alone — strongly
 * consistent, and answered by the Temporal server without waiting for a worker.
 */
export interface ReservationMemo {
  extensions: string[];
  /** Every requested server id, in launch order. */
  serverIds: string[];
  /** The quota update the API decides the request in. */
  admissionUpdateId?: string;
  /** What every server of the request shares: its seed without id, name suffix and launch index. */
  shared?: Omit<ServerSeed, 'id' | 'launchIndex'> & { createdAt: string };
  /** Servers deleted before their entity was started (set by the reservation). */
  cancelled?: string[];
  /** Set on a request made with an idempotency key: what a repeat must match. */
  idempotency?: { requestHash: string };
  /** A keyed request's admission, once the reservation knows it: servers allowed or the refusal. */
  admission?: number | string;
}

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
  /** Hosts tried, in order, for the current build. */
  attempts: { host: string; result: 'Success' | 'Error' | null; message: string | null }[];
  actions: InstanceAction[];
}

/** Stage names of a create request, in order. */
export type ReservationStage = 'admit' | 'schedule' | 'spawn' | 'settle' | 'done';

export interface ServerOutcome {
  serverId: string;
  /** DELETED when a delete interrupted the build. */
  status: 'ACTIVE' | 'ERROR' | 'DELETED';
  host: string | null;
  fault: Fault | null;
}

/** The state of one create request, as its `describe` query returns it. */
export interface ReservationRecord {
  reservationId: string;
  projectId: string;
  userId: string;
  stage: ReservationStage;
  requested: { min: number; max: number };
  admitted: number;
  launched: number;
  /** The admitted servers; before the reservation has read its admission, every requested id. */
  serverIds: string[];
  /** The quota update its admission is decided in (API-admitted requests), for readers that come early. */
  admissionUpdateId?: string;
  outcomes: Record<string, ServerOutcome>;
  noValidHost: string | null;
  createdAt: string;
  stageTimes: Partial<Record<ReservationStage, string>>;
}
