import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ControlActivities } from '../../activities/control';
import {
  cancelServerUpdate,
  describeReservationQuery,
  pendingServersQuery,
  serverBuiltSignal,
} from './messages';
import { releaseClaimsSignal } from '../host/messages';
import { releaseQuotaSignal } from '../quota/messages';
import { NovaStatus } from '../../common/search-attributes';
import type { ServerRecord } from '../server/types';
import { hostWorkflowId, quotaWorkflowId } from '../../common/names';
import type { Fault, Placement } from '../../common/types';
import type { CreateRequest, ReservationRecord, ReservationStage, ServerOutcome } from './types';
import { initialServerRecord, serverName as nameOf, sharedSeed } from '../server/rules';
import { failureMessage, nowIso } from '../server/action-log';
import { SERVER_REVISION, type ServerWorkflowInput } from './stages';
import type { ServerSeed } from '../server/types';
import { notFound, toFailure } from '../../common/errors';
import { CHUNKED_STAGES, SCHEDULE_CHUNK, scheduleInChunks, START_CHUNK } from './chunks';
import {
  FIRST_TASK_EVENTS,
  historyIsLong,
  revisionOf,
  indexesIn,
  requestedIds,
  carried,
  isRevised,
  SETTLE_CONTINUES,
  settleRun,
  type SettlingState,
} from './settle';

/**
 * Transient trouble (Temporal or a host busy) is retried for a few minutes; an error no retry can fix
 * fails at once (PermanentFailure). Either way a stage that cannot go on ends the request in ERROR.
 */
const controlActivities = {
  startToCloseTimeout: '5 minutes',
  // Control activities beat every 2 s while they run (workers/control.ts): a control worker killed
  // mid-schedule is noticed in 10 s and the call retried elsewhere, not after a minute.
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '500ms', maximumInterval: '10s', maximumAttempts: 20 },
} as const;

const { scheduleServers, startServers } = proxyActivities<ControlActivities>(controlActivities);

/**
 * Admission runs as a local activity, inside the reservation's first workflow task: the request names
 * the batched quota update the API decided it in, and awaitAdmission reads that answer.
 */
const { awaitAdmission } = proxyLocalActivities<ControlActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200ms', maximumInterval: '5s', maximumAttempts: 30 },
});

/**
 * Starting server entities only starts workflows (it waits on none of them), so a start stage of one
 * chunk runs as a local activity inside the reservation's workflow task: no activity task, no
 * workflow task of its own. From revision 2 a schedule stage of one call does too: its claims wait on
 * host entities, which run on the admission queue, so a control workflow task held open cannot starve
 * them. A large request's chunks stay activities, each a step of its own.
 */
const { startServers: startServersHere, scheduleServers: scheduleHere } =
  proxyLocalActivities<ControlActivities>({
    startToCloseTimeout: '5 minutes',
    retry: { initialInterval: '500ms', maximumInterval: '10s', maximumAttempts: 20 },
  });

/**
 * reservation/r-xxxxxxxx: one create request. It walks admit -> schedule -> spawn -> settle; each stage
 * is one activity (or a wait for the servers' reports), so each is a visible step in the history.
 */
export async function reservationWorkflow(
  req: CreateRequest,
  settling?: SettlingState,
): Promise<ReservationRecord> {
  if (settling) return settleRun(req, settling);
  const serverIds = requestedIds(req);
  const record: ReservationRecord = {
    reservationId: req.reservationId,
    projectId: req.projectId,
    userId: req.userId,
    stage: 'admit',
    requested: { min: req.minCount, max: req.maxCount },
    admitted: 0,
    launched: 0,
    serverIds,
    admissionUpdateId: req.admissionUpdateId,
    outcomes: {},
    active: 0,
    noValidHost: null,
    createdAt: nowIso(),
    stageTimes: { admit: nowIso() },
  };
  // Each stage is published as it is entered: the history's stage-by-stage view reads these upserts.
  const enter = (stage: ReservationStage) => {
    record.stage = stage;
    record.stageTimes[stage] = nowIso();
    upsertSearchAttributes([{ key: NovaStatus, value: stage }]);
  };
  // Revision 1 does all that patches decided before it, without their markers (RESERVATION_REVISION).
  const revised = isRevised(req);
  const serverName = (i: number) => nameOf(req.name, i, record.serverIds.length);
  let started = false;
  /** Servers deleted before their entity was started: never launched, quota and claims released. */
  const cancelled = new Set<string>();
  /** The servers the spawn stage starts, once it has begun (a delete then goes to their entities). */
  let launching: string[] | undefined = undefined;
  const seedOf = (id: string, launchIndex: number): ServerSeed => ({
    ...sharedSeed(req),
    id,
    name: serverName(launchIndex),
    launchIndex,
  });
  const pendingServer = (id: string, launchIndex: number): ServerRecord =>
    initialServerRecord(seedOf(id, launchIndex), record.createdAt, null, null);

  // The API reserved quota under the request's server ids before it answered 202; the reservation
  // reads that decision at once. Until it has, a delete waits (cancelServer below).
  let rejected = false;
  const admission = (async (): Promise<string[]> => {
    try {
      const { allowed } = await awaitAdmission({
        projectId: req.projectId,
        reservationId: req.reservationId,
        keys: serverIds,
        minCount: req.minCount,
        perInstance: { cores: req.flavor.vcpus, ram: req.flavor.ram },
        updateId: req.admissionUpdateId,
      });
      record.admitted = allowed;
      record.serverIds = serverIds.slice(0, allowed);
      // A repeat of a keyed request reads its answer here, long after the quota entity forgot it.
      if (req.idempotency) upsertMemo({ admission: { granted: allowed } });
      return record.serverIds;
    } catch (err) {
      rejected = true;
      record.serverIds = [];
      if (req.idempotency) upsertMemo({ admission: { refused: failureMessage(err).message } });
      throw err instanceof ApplicationFailure ? err : ApplicationFailure.fromError(err);
    }
  })();

  /** How each server's build ended (reported, cancelled, or born failed); a later report replaces one. */
  const reported = new Map<string, ServerOutcome['status']>();
  /** Launched servers whose build has not ended yet: the settle stage waits until there is none. */
  const unsettled = new Set<string>();
  const settle = (outcome: ServerOutcome) => {
    const before = reported.get(outcome.serverId);
    if (before === 'ACTIVE') record.active = (record.active ?? 0) - 1;
    else delete record.outcomes[outcome.serverId];
    reported.set(outcome.serverId, outcome.status);
    if (outcome.status === 'ACTIVE') record.active = (record.active ?? 0) + 1;
    else record.outcomes[outcome.serverId] = outcome;
    unsettled.delete(outcome.serverId);
  };
  setHandler(describeReservationQuery, () => record);
  setHandler(pendingServersQuery, () =>
    started ? [] : record.serverIds.map(pendingServer).filter((s) => !cancelled.has(s.id)),
  );
  setHandler(cancelServerUpdate, async ({ serverId }) => {
    const missing = () => toFailure(notFound(`Instance ${serverId} could not be found.`));
    await condition(() => record.admitted > 0 || rejected);
    if (!record.serverIds.includes(serverId)) throw missing();
    if (cancelled.has(serverId)) return 'cancelled';
    if (launching === undefined) {
      cancelled.add(serverId);
      settle({ serverId, status: 'DELETED', host: null, fault: null });
      upsertMemo({ cancelled: [...cancelled] });
      await getExternalWorkflowHandle(quotaWorkflowId(req.projectId)).signal(releaseQuotaSignal, {
        keys: [serverId],
      });
      return 'cancelled';
    }
    await condition(() => started);
    if (!launching.includes(serverId)) throw missing();
    return 'launched';
  });
  setHandler(serverBuiltSignal, settle);

  // A refusal ends the request here: it is an answer, not a failure of the workflow.
  const admitted = await admission.catch(() => undefined);
  if (!admitted) {
    enter('done');
    return record;
  }

  enter('schedule');
  const toPlace = admitted.filter((id) => !cancelled.has(id));
  let placements: Record<string, Placement> = {};
  let noValidHost: string | null = null;
  // A stage that cannot go on (its activity failed for good) ends the request in ERROR, saying why.
  let stageFailure: string | null = null;
  // Servers deleted already need no place; min_count counts them as met.
  const minCount =
    cancelled.size > 0 ? Math.min(toPlace.length, Math.max(1, req.minCount - cancelled.size)) : req.minCount;
  // Revision 2 schedules a request of one start call within its first workflow task. That task tried
  // again (its worker died while the claims were made) shows in a longer history: give those back.
  const schedulesHere = revisionOf(req) >= 2 && toPlace.length <= START_CHUNK;
  const schedule = (serverIds: string[], min: number) =>
    (schedulesHere ? scheduleHere : scheduleServers)({
      reservationId: req.reservationId,
      projectId: req.projectId,
      flavor: req.flavor,
      serverIds,
      minCount: min,
      availabilityZone: req.availabilityZone,
      extra: req.extra,
      filters: [],
      excludeHosts: [],
      ...(schedulesHere && workflowInfo().historyLength > FIRST_TASK_EVENTS ? { retried: true } : {}),
    });
  try {
    if (toPlace.length === 0) placements = {};
    else if (toPlace.length <= SCHEDULE_CHUNK || !(revised || patched(CHUNKED_STAGES)))
      ({ placements, noValidHost } = await schedule(toPlace, minCount));
    else ({ placements, noValidHost } = await scheduleInChunks(toPlace, minCount, schedule));
  } catch (err) {
    stageFailure = `scheduling failed: ${failureMessage(err).message}`;
  }
  record.noValidHost = noValidHost;

  // A spawn stage of one start call runs within this workflow task, as a local activity.
  const startsHere = toPlace.length <= START_CHUNK && revised;
  enter('spawn');
  const created = nowIso();
  let fault: Fault | null = stageFailure
    ? { code: 500, message: `Build of the request failed: ${stageFailure}`, created }
    : noValidHost
      ? {
          code: 500,
          message: 'No valid host was found. There are not enough hosts available.',
          created,
          details: noValidHost,
        }
      : null;
  // Servers beyond what fits are never launched; with no valid host every server is born in ERROR.
  // Servers deleted meanwhile are not launched either, and give back any claim they got. From here
  // on a delete goes to the launched servers' entities.
  const launchIds = (fault ? admitted : admitted.filter((id) => placements[id])).filter(
    (id) => !cancelled.has(id),
  );
  launching = launchIds;
  for (const id of [...cancelled].filter((id) => placements[id])) {
    await getExternalWorkflowHandle(hostWorkflowId(placements[id].host)).signal(releaseClaimsSignal, {
      keys: [id],
    });
    delete placements[id];
  }
  const servers: ServerWorkflowInput[] = launchIds.map((id) => ({
    seed: seedOf(id, admitted.indexOf(id)),
    requestId: req.requestId,
    createdAt: created,
    extensions: req.extensions,
    placement: placements[id] ?? null,
    fault,
    holdsQuota: !fault,
    revision: SERVER_REVISION,
    ...(req.buildSteps?.length ? { buildSteps: req.buildSteps } : {}),
  }));
  record.launched = fault ? 0 : launchIds.length;
  let startFailed = false;
  try {
    if (startsHere) await startServersHere({ servers });
    else if (servers.length <= START_CHUNK || !(revised || patched(CHUNKED_STAGES)))
      await startServers({ servers });
    else {
      // What the servers share goes once per chunk: each server adds its id, index and placement.
      const { seed: _seed, placement: _placement, ...shared } = servers[0];
      for (let i = 0; i < servers.length; i += START_CHUNK)
        await startServers({
          batch: {
            shared,
            seed: sharedSeed(req),
            name: req.name,
            count: record.serverIds.length,
            servers: servers
              .slice(i, i + START_CHUNK)
              .map((sv) => ({ id: sv.seed.id, launchIndex: sv.seed.launchIndex, placement: sv.placement })),
          },
        });
    }
  } catch (err) {
    // Some entities may have started: they build and report as usual. The rest never will.
    startFailed = true;
    fault = { code: 500, message: `Build of the request failed: ${failureMessage(err).message}`, created };
  }
  started = true;

  enter('settle');
  const released = fault ? admitted : admitted.filter((id) => !placements[id]);
  if (startFailed) {
    for (const [id, p] of Object.entries(placements)) {
      await getExternalWorkflowHandle(hostWorkflowId(p.host)).signal(releaseClaimsSignal, { keys: [id] });
    }
  }
  if (released.length > 0) {
    await getExternalWorkflowHandle(quotaWorkflowId(req.projectId)).signal(releaseQuotaSignal, {
      keys: released,
    });
  }
  if (fault) {
    for (const id of launchIds) settle({ serverId: id, status: 'ERROR', host: null, fault });
  }
  for (const id of launchIds) if (!reported.has(id)) unsettled.add(id);
  // A large request's history (its chunks, then a signal per server) continues as new while it
  // waits, so no run of it grows large or costs long to replay; runs before this replay without.
  const continuing = unsettled.size > 0 && (revised || patched(SETTLE_CONTINUES));
  await condition(() => unsettled.size === 0 || (continuing && historyIsLong(revised)));
  if (unsettled.size > 0) {
    await condition(allHandlersFinished);
    await continueAsNew<typeof reservationWorkflow>(
      { ...req, serverIds: [] },
      { record: carried(req, record), unsettled: indexesIn(record.serverIds, unsettled) },
    );
  }
  enter('done');
  return record;
}
