import type { Client } from '@temporalio/client';
import { pendingServersOf, reservationRecord } from '../../entities/reservation/client';
import { describeServer } from '../../entities/server/client';
import { NovaError, notFound } from '../../common/errors';
import { batchAnswer } from '../../entities/quota/client';
import { mapLimit } from '../../common/concurrency';
import { isReservationId } from '../../common/ids';
import { reservationWorkflowId } from '../../common/names';
import { serverStatus } from '../../common/status';
import type { Caller } from '../../common/types';
import type { ReservationRecord, ReservationStage } from '../../entities/reservation/types';
import type { ServerRecord } from '../../entities/server/types';
import type { ApiDeps } from '../context';
import { withLiveProgress } from './live-progress';
import { serverAction } from './servers';
import { workflowUrl } from './workflow-links';

/** One server of a create request, as the tracking view shows it. */
export interface TrackedServer {
  id: string;
  name: string;
  launch_index: number;
  status: string;
  task_state: string | null;
  progress: number;
  /** Admin only, like Nova's OS-EXT-SRV-ATTR:host. */
  host?: string | null;
  attempts: { host?: string; result: string | null; message: string | null }[];
  fault: { code: number; message: string; created: string; details?: string } | null;
}

/** The tracking view of one create request (`GET /os-reservations/{id}`). */
export interface ReservationView {
  reservation_id: string;
  project_id: string;
  user_id: string;
  stage: ReservationStage;
  /** True once the request is done and no server of it is building or busy with a task. */
  settled: boolean;
  requested: { min_count: number; max_count: number };
  admitted: number;
  launched: number;
  servers_by_status: Record<string, number>;
  servers: TrackedServer[];
  no_valid_host: string | null;
  timings: { created: string; stages: Partial<Record<ReservationStage, string>>; finished: string | null };
  workflow_id: string;
  workflow_url: string;
}

const QUERY_CONCURRENCY = 16;
const EARLY: ReservationStage[] = ['admit', 'schedule', 'spawn'];

/** The reservation's own record; 404 for a request the caller may not see. */
export async function getReservation(client: Client, caller: Caller, id: string): Promise<ReservationRecord> {
  if (!isReservationId(id)) throw notFound(`Reservation ${id} could not be found.`);
  const record = await reservationRecord(client, id);
  if (!record) throw notFound(`Reservation ${id} could not be found.`);
  if (!caller.isAdmin && record.projectId !== caller.projectId)
    throw notFound(`Reservation ${id} could not be found.`);
  return withAdmission(client, record);
}

/**
 * A reservation read before its first workflow task has read its admission (the caller already has
 * the 202): the answer comes from the quota update the API decided it in.
 */
async function withAdmission(client: Client, record: ReservationRecord): Promise<ReservationRecord> {
  if (record.stage !== 'admit' || record.admitted > 0 || !record.admissionUpdateId) return record;
  const answer = await batchAnswer(client, record.projectId, record.admissionUpdateId, record.reservationId);
  if (!answer) return record;
  if ('refused' in answer) return { ...record, serverIds: [] };
  return { ...record, admitted: answer.granted, serverIds: record.serverIds.slice(0, answer.granted) };
}

function track(caller: Caller, s: ServerRecord): TrackedServer {
  const view: TrackedServer = {
    id: s.id,
    name: s.name,
    launch_index: s.launchIndex,
    status: serverStatus(s.vmState, s.taskState),
    task_state: s.taskState,
    progress: s.progress,
    attempts: s.attempts.map((a) => ({
      ...(caller.isAdmin ? { host: a.host } : {}),
      result: a.result,
      message: a.message,
    })),
    fault: s.fault,
  };
  if (caller.isAdmin) view.host = s.host;
  else if (s.fault?.details && s.fault.code === 500) view.fault = { ...s.fault, details: undefined };
  return view;
}

/**
 * Everything known about a create request right now: the stage from the reservation entity, and each
 * server's live state from its own entity (strongly consistent, unlike the list memo).
 */
export async function reservationSnapshot(
  deps: Pick<ApiDeps, 'client' | 'uiUrl' | 'namespace'>,
  caller: Caller,
  id: string,
): Promise<ReservationView> {
  const record = await getReservation(deps.client, caller, id);
  const found = await mapLimit(record.serverIds, QUERY_CONCURRENCY, async (serverId) => {
    const s = await describeServer(deps.client, serverId);
    return s && withLiveProgress(deps.client, s);
  });
  // Not started yet: on its way while the request is early (the reservation knows it); afterwards a
  // server without an entity was never launched and is not part of the request any more.
  const pending =
    EARLY.includes(record.stage) && found.some((s) => !s) ? await pendingServersOf(deps.client, id) : [];
  const servers: TrackedServer[] = [];
  record.serverIds.forEach((serverId, i) => {
    const s = found[i] ?? pending.find((p) => p.id === serverId);
    if (s) servers.push(track(caller, s));
  });
  const byStatus: Record<string, number> = {};
  for (const s of servers) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
  const workflowId = reservationWorkflowId(id);
  return {
    reservation_id: record.reservationId,
    project_id: record.projectId,
    user_id: record.userId,
    stage: record.stage,
    settled: record.stage === 'done' && servers.every((s) => s.status !== 'BUILD' && s.task_state === null),
    requested: { min_count: record.requested.min, max_count: record.requested.max },
    admitted: record.admitted,
    launched: record.launched,
    servers_by_status: byStatus,
    servers,
    no_valid_host: record.noValidHost,
    timings: {
      created: record.createdAt,
      stages: record.stageTimes,
      finished: record.stageTimes.done ?? null,
    },
    workflow_id: workflowId,
    workflow_url: workflowUrl(deps, workflowId),
  };
}

/**
 * Retries every server of the request that is in ERROR and idle. Each one gets its own `retry`
 * update keyed by the caller's request id, so a repeated call retries nothing twice; a server that
 * started building meanwhile answers 409 and is skipped.
 */
export async function retryReservation(
  deps: Pick<ApiDeps, 'client' | 'uiUrl' | 'namespace'>,
  caller: Caller,
  id: string,
): Promise<string[]> {
  const snap = await reservationSnapshot(deps, caller, id);
  const failed = snap.servers.filter((s) => s.status === 'ERROR' && s.task_state === null);
  const retried: string[] = [];
  await mapLimit(failed, QUERY_CONCURRENCY, async (s) => {
    try {
      await serverAction(deps.client, caller, s.id, { type: 'retry' });
      retried.push(s.id);
    } catch (err) {
      if (!(err instanceof NovaError && err.fault === 'conflictingRequest')) throw err;
    }
  });
  return retried.sort();
}
