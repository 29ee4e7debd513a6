import type { Fault } from '../../common/types';
import type { ServerSeed } from '../server/types';
import type { QuotaAnswer } from '../quota/types';
import type { BuildStepRef } from './stages';

/** reservation/r-xxxxxxxx: one create request, and what its messages carry. */

/**
 * What reservations started now do that earlier ones replay without, carried in their input rather
 * than decided by `patched()` (which costs every run a marker and a search-attribute upsert):
 * 1 — a start stage of one call runs as a local activity within the workflow task; large requests go
 * in chunks and the settle stage continues as new without asking `patched()`.
 * 2 — a schedule stage of one call runs as a local activity too: a request of up to 250 servers is
 * admitted, scheduled and started in its first workflow task (the host entities its claims wait on
 * run on the admission queue).
 * 3 — the server ids travel once, in the memo readers list the servers from, not in the input too:
 * the start event of a request of 10,000 carried them twice (765 KB, over Temporal's 512 KB warning).
 */
export const RESERVATION_REVISION = 3;

/**
 * A validated `POST /servers`, as the reservation workflow receives it: what its servers will share
 * (their seed, named after the request), and the request's own fields.
 */
export interface CreateRequest extends Omit<ServerSeed, 'id' | 'launchIndex'> {
  requestId: string;
  minCount: number;
  maxCount: number;
  /** Aliases of the extensions in force when the request was admitted. */
  extensions: string[];
  /** The entity revision it starts at (RESERVATION_REVISION, set when started; absent: 0). */
  revision?: number;
  /** The build steps those extensions add, run by each server's entity. */
  buildSteps?: BuildStepRef[];
  /**
   * One id per server up to maxCount, fixed by the API, which reserves quota under them before it
   * answers; the reservation reads that same decision. From revision 3 the started workflow's input
   * carries none: they are in its memo (`requestedIds`).
   */
  serverIds: string[];
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
  /**
   * A keyed request's admission, once the reservation knows it. Reservations from before this shape
   * wrote the bare answer (servers allowed, or the refusal's text): read it with `readQuotaAnswer`.
   */
  admission?: QuotaAnswer | number | string;
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
  /**
   * How each launched server's build ended, by id — every server's on records before `active` was
   * kept; since then only those that did not go ACTIVE (ERROR, DELETED), so a request of ten thousand
   * servers keeps its record (the workflow's result) small.
   */
  outcomes: Record<string, ServerOutcome>;
  /** How many launched servers went ACTIVE (absent on older records, whose outcomes hold them all). */
  active?: number;
  noValidHost: string | null;
  createdAt: string;
  stageTimes: Partial<Record<ReservationStage, string>>;
}
