import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { notFound, toFailure } from '../../common/errors';
import { NovaStatus } from '../../common/search-attributes';
import { nowIso } from '../server/action-log';
import {
  cancelServerUpdate,
  describeReservationQuery,
  pendingServersQuery,
  serverBuiltSignal,
} from './messages';
import type { CreateRequest, ReservationMemo, ReservationRecord } from './types';
import type { reservationWorkflow } from './workflow';

/*
 * The settle stage: a reservation counts its servers' reports, and continues as new while it waits
 * once its history is long.
 */

/** What a reservation still waiting for its servers carries into its next run. */
export interface SettlingState {
  /** From revision 3 without its server ids: the run takes them from the memo it inherits. */
  record: ReservationRecord;
  /** Launched servers whose build has not ended yet, as indexes into `record.serverIds` (a few bytes each). */
  unsettled: number[];
}

export const SETTLE_CONTINUES = 'settle-continues-as-new';

/** The revision a request started at (RESERVATION_REVISION); absent is 0. */
export function revisionOf(req: CreateRequest): number {
  return req.revision ?? 0;
}

/** Revision from which a reservation's server ids are in its memo only (RESERVATION_REVISION). */
const IDS_IN_MEMO = 3;

/**
 * The request's server ids: its input's, or from revision 3 its memo's as it was started (read before
 * the workflow upserts its memo, so a replay reads the same).
 */
export function requestedIds(req: CreateRequest): string[] {
  if (revisionOf(req) < IDS_IN_MEMO) return req.serverIds;
  return (workflowInfo().memo as ReservationMemo | undefined)?.serverIds ?? [];
}

/**
 * The record a run carries into its next: from revision 3 without the ids, which the next run takes
 * from the memo it inherits (a request of 10,000 would otherwise start each run with them twice).
 */
export function carried(req: CreateRequest, record: ReservationRecord): ReservationRecord {
  return revisionOf(req) < IDS_IN_MEMO ? record : { ...record, serverIds: [] };
}

/** The record a continued run carried, its ids (the admitted ones, in launch order) back in it. */
function resumed(req: CreateRequest, record: ReservationRecord): ReservationRecord {
  if (revisionOf(req) < IDS_IN_MEMO) return record;
  return { ...record, serverIds: requestedIds(req).slice(0, record.admitted) };
}

/** Whether a request started at revision 1 or later. */
export function isRevised(req: CreateRequest): boolean {
  return revisionOf(req) >= 1;
}

/** A workflow's history in its first workflow task: started, task scheduled, task started. */
export const FIRST_TASK_EVENTS = 3;

/** Where each of `ids` is in `all`, in `all`'s order. */
export function indexesIn(all: string[], ids: ReadonlySet<string>): number[] {
  return all.flatMap((id, i) => (ids.has(id) ? [i] : []));
}
/**
 * A run's history past which the settle stage continues as new (far below Temporal's 51,200 events
 * and 50 MB, and its warnings at a fifth of those): a replay of a run stays cheap. Revision 1 goes at
 * 1000 events; runs before it keep 2000. Reports that arrive while the servers are still being
 * started land in the first run before its settle stage: a request whose builds all outrun its start
 * stage never waits and runs once.
 */
const SETTLE_HISTORY_EVENTS = { 0: 2000, 1: 1000 } as const;
const SETTLE_HISTORY_BYTES = 4 * 1024 * 1024;

export function historyIsLong(revised: boolean): boolean {
  const info = workflowInfo();
  return (
    info.continueAsNewSuggested ||
    info.historyLength > SETTLE_HISTORY_EVENTS[revised ? 1 : 0] ||
    info.historySize > SETTLE_HISTORY_BYTES
  );
}

/**
 * The settle stage of a reservation that continued as new: it counts the outcomes of the servers it
 * still waits for. A report of a server that settled in an earlier run (a retry long after) changes
 * nothing: that outcome is its entity's now. Every admitted server has been launched or dropped by
 * then, so a delete goes to the server's entity.
 */
export async function settleRun(req: CreateRequest, settling: SettlingState): Promise<ReservationRecord> {
  const record = resumed(req, settling.record);
  const { unsettled } = settling;
  const waiting = new Set(unsettled.map((i) => record.serverIds[i]));
  setHandler(describeReservationQuery, () => record);
  setHandler(pendingServersQuery, () => []);
  setHandler(cancelServerUpdate, ({ serverId }) => {
    if (!record.serverIds.includes(serverId))
      throw toFailure(notFound(`Instance ${serverId} could not be found.`));
    return 'launched';
  });
  setHandler(serverBuiltSignal, (outcome) => {
    if (!waiting.delete(outcome.serverId)) return;
    if (outcome.status === 'ACTIVE') record.active = (record.active ?? 0) + 1;
    else record.outcomes[outcome.serverId] = outcome;
  });
  await condition(() => waiting.size === 0 || historyIsLong(isRevised(req)));
  if (waiting.size > 0) {
    await condition(allHandlersFinished);
    await continueAsNew<typeof reservationWorkflow>(req, {
      record: carried(req, record),
      unsettled: indexesIn(record.serverIds, waiting),
    });
  }
  record.stage = 'done';
  record.stageTimes.done = nowIso();
  upsertSearchAttributes([{ key: NovaStatus, value: 'done' }]);
  return record;
}
