import { serverName } from '../server/rules';
import type { Fault, Flavor, Placement, Resources } from '../../common/types';
import type { ServerSeed } from '../server/types';
import type { QuotaReserveRequest } from '../quota/types';

/**
 * Inputs and outputs of the stage activities. Extension interceptors see these (readonly) when they
 * wrap a stage, so they are part of the extension contract.
 */

/** A filter an extension adds to the schedule stage, run by name on the control worker. */
export interface FilterSpec {
  name: string;
  args: Record<string, unknown>;
}

export interface ScheduleInput {
  reservationId: string;
  projectId: string;
  flavor: Flavor;
  /** Server ids in launch order; the first ones are placed first. */
  serverIds: string[];
  minCount: number;
  availabilityZone: string | null;
  /** Request fields extensions added (scheduler hints, ...), for their stage hooks. */
  extra: Record<string, unknown>;
  /** Extra filters added by extensions (for example anti-affinity of a server group). */
  filters: FilterSpec[];
  /** Hosts that must not be used (for example those a rescheduled server already failed on). */
  excludeHosts: string[];
  /**
   * An earlier try of this stage may have claimed for these servers: a local activity whose workflow
   * task was tried again (its worker died). Its claims are given back first, as on a retry.
   */
  retried?: boolean;
}

export interface ScheduleResult {
  /** Placement of each placed server id; those left out were not placed. */
  placements: Record<string, Placement>;
  /** When fewer than minCount fit: why, with the count each filter removed. */
  noValidHost: string | null;
}

export interface ReserveQuotaInput extends QuotaReserveRequest {
  projectId: string;
}

/** A reservation's admission: the quota update the API decided it in, when there is one. */
export interface AwaitAdmissionInput extends ReserveQuotaInput {
  updateId?: string;
}

/**
 * A step an extension adds to every build (`buildSteps` in extensions/types.ts), as a server entity
 * runs it: `prepare` and `release` name control-worker activities.
 */
export interface BuildStepRef {
  name: string;
  prepare: string;
  /** Absent for a step that holds nothing (it only reads, e.g. the key pair to hand the guest). */
  release?: string;
}

/** What a build step's `prepare` gets: the server, and the host it is about to spawn on. */
export interface PrepareStepInput {
  server: ServerSeed;
  host: string;
}

/** What a build step's `prepare` answers. */
export interface PrepareStepResult {
  /** Handed to the driver in `InstanceSpec.guest[step]`, as a config drive would carry it to the guest. */
  guest?: Record<string, unknown>;
  /** Kept on the server (`prepared[step]`) for view decorators, until the step is released. */
  view?: Record<string, unknown>;
}

/** What a build step's `release` gets; it must give back everything `prepare` took for this server. */
export interface ReleaseStepInput {
  server: ServerSeed;
}

export interface ServerWorkflowInput {
  seed: ServerSeed;
  requestId: string;
  createdAt: string;
  extensions: string[];
  placement: Placement | null;
  /** Set when the server is born failed (no valid host): it starts in ERROR. */
  fault: Fault | null;
  /** Whether the server holds quota (false once a failed request released it). */
  holdsQuota: boolean;
  /** Steps the extensions in force add to the build (absent before build steps existed). */
  buildSteps?: BuildStepRef[];
  /** The entity revision it starts at (SERVER_REVISION; absent: 0, before revisions). */
  revision?: number;
}

/**
 * What server entities started now do that earlier ones replay without, carried in their input
 * rather than decided by `patched()` (which costs every run a marker and a search-attribute upsert):
 * 1 — a delete gives back build steps, host claim and quota together; search attributes are upserted
 * only when they change; a server deleted before its build gives back its claim without a patch.
 * 2 — what it tells other entities (its build's outcome, the claim and quota it gives back) goes in
 * one local activity within the workflow task that decided it (`tell`), not as signals whose every
 * delivery costs the server a workflow task of its own.
 * 3 — build steps' prepare and release run as local activities within the workflow task that needs
 * them (the address pools they wait on run on the admission queue).
 */
export const SERVER_REVISION = 3;

/** A signal to another entity, sent by the `tell` activity for a workflow. */
export interface EntitySignal {
  workflowId: string;
  signal: string;
  arg: unknown;
}

/**
 * Server entities of one request to start, their shared part once: the start stage's input for a
 * large request (a chunk of 250 servers is tens of KB, not a KB per server).
 */
export interface ServerBatch {
  /** Every field but the seed's own and the placement, as each server's input has them. */
  shared: Omit<ServerWorkflowInput, 'seed' | 'placement'>;
  /** The seed without id, name and launch index. */
  seed: Omit<ServerSeed, 'id' | 'name' | 'launchIndex'>;
  /** The request's name and server count, from which each server's name follows. */
  name: string;
  count: number;
  servers: { id: string; launchIndex: number; placement: Placement | null }[];
}

/** Each server's input of a batch. */
export function expandBatch(batch: ServerBatch): ServerWorkflowInput[] {
  return batch.servers.map(({ id, launchIndex, placement }) => ({
    ...batch.shared,
    seed: { ...batch.seed, id, launchIndex, name: serverName(batch.name, launchIndex, batch.count) },
    placement,
  }));
}

export interface SpawnInput {
  serverId: string;
  name: string;
  /** The guest's hostname (absent in spawns scheduled before it was passed: the driver derives one). */
  hostname?: string;
  flavor: Flavor;
  imageRef: string;
  metadata: Record<string, string>;
  extra: Record<string, unknown>;
  /** What the build steps prepared for the guest, by step name. */
  guest?: Record<string, Record<string, unknown>>;
}

export interface ClaimOnHostInput {
  host: string;
  key: string;
  resources: Resources;
}

/** Resources a flavor takes on a host. */
export function flavorResources(flavor: Flavor): Resources {
  return { vcpus: flavor.vcpus, ram: flavor.ram, disk: flavor.disk + flavor.ephemeral };
}
