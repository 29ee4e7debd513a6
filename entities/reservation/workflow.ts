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
import { SERVER_REVISION, type ScheduleResult, type ServerWorkflowInput } from './stages';
import type { ServerSeed } from '../server/types';
import { notFound, toFailure } from '../../common/errors';

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
 * workflow task of its own. Scheduling stays an activity: its claims wait on host entities' workflow
 * tasks, which a workflow task held open could starve.
 */
const { startServers: startServersHere } = proxyLocalActivities<ControlActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '500ms', maximumInterval: '10s', maximumAttempts: 20 },
});

/**
 * Servers one schedule call plans and claims at most, and server entities one start call carries: a
 * request of ten thousand servers then sends payloads of a few hundred KB, far below Temporal's 2 MB
 * per payload (one call for all of them sent 648 KB at a thousand and could not go past ~3000).
 */
const SCHEDULE_CHUNK = 1000;
const START_CHUNK = 250;
/** Requests scheduled and started in chunks; runs before it replay with one call each. */
const CHUNKED_STAGES = 'chunked-stages';

/**
 * Schedules a large request chunk by chunk in launch order, each chunk a schedule stage of its own
 * (extensions' hooks run on each). Only a prefix of the launch order may run: the first chunk not
 * placed whole ends it. Fewer than `minCount` placed in all means none: every claim made is given back.
 */
async function scheduleInChunks(
  ids: string[],
  minCount: number,
  schedule: (ids: string[], min: number) => Promise<ScheduleResult>,
): Promise<ScheduleResult> {
  const placements: Record<string, Placement> = {};
  let placed = 0;
  let refusal: string | null = null;
  // Gives back the claims of the chunks placed so far: the request does not go on with them.
  const releaseAll = async () => {
    const byHost = new Map<string, string[]>();
    for (const [id, p] of Object.entries(placements)) byHost.set(p.host, [...(byHost.get(p.host) ?? []), id]);
    await Promise.all(
      [...byHost].map(([host, keys]) =>
        getExternalWorkflowHandle(hostWorkflowId(host)).signal(releaseClaimsSignal, { keys }),
      ),
    );
  };
  for (let i = 0; i < ids.length; i += SCHEDULE_CHUNK) {
    const chunk = ids.slice(i, i + SCHEDULE_CHUNK);
    let result: ScheduleResult;
    try {
      result = await schedule(chunk, Math.max(0, Math.min(chunk.length, minCount - placed)));
    } catch (err) {
      // A chunk that failed for good fails the stage: the earlier chunks' claims must not stay held.
      await releaseAll();
      throw err;
    }
    Object.assign(placements, result.placements);
    placed += Object.keys(result.placements).length;
    refusal = result.noValidHost;
    if (Object.keys(result.placements).length < chunk.length) break;
  }
  if (placed >= minCount) return { placements, noValidHost: null };
  await releaseAll();
  return {
    placements: {},
    noValidHost: `${placed} of ${ids.length} server(s) could be placed, ${minCount} needed: ${refusal ?? 'hosts refused the claims'}`,
  };
}

/**
 * reservation/r-xxxxxxxx: one create request. It walks admit -> schedule -> spawn -> settle; each stage
 * is one activity (or a wait for the servers' reports), so each is a visible step in the history.
 */
export async function reservationWorkflow(
  req: CreateRequest,
  settling?: SettlingState,
): Promise<ReservationRecord> {
  if (settling) return settleRun(req, settling);
  const record: ReservationRecord = {
    reservationId: req.reservationId,
    projectId: req.projectId,
    userId: req.userId,
    stage: 'admit',
    requested: { min: req.minCount, max: req.maxCount },
    admitted: 0,
    launched: 0,
    serverIds: req.serverIds,
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
        keys: req.serverIds,
        minCount: req.minCount,
        perInstance: { cores: req.flavor.vcpus, ram: req.flavor.ram },
        updateId: req.admissionUpdateId,
      });
      record.admitted = allowed;
      record.serverIds = req.serverIds.slice(0, allowed);
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
  const schedule = (serverIds: string[], min: number) =>
    scheduleServers({
      reservationId: req.reservationId,
      projectId: req.projectId,
      flavor: req.flavor,
      serverIds,
      minCount: min,
      availabilityZone: req.availabilityZone,
      extra: req.extra,
      filters: [],
      excludeHosts: [],
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
      { record, unsettled: indexesIn(record.serverIds, unsettled) },
    );
  }
  enter('done');
  return record;
}

/** What a reservation still waiting for its servers carries into its next run. */
export interface SettlingState {
  record: ReservationRecord;
  /** Launched servers whose build has not ended yet. */
  /** Launched servers whose build has not ended yet, as indexes into `record.serverIds` (a few bytes each). */
  unsettled: number[];
}

const SETTLE_CONTINUES = 'settle-continues-as-new';

/** Whether a request started at revision 1 or later (RESERVATION_REVISION); absent is 0. */
function isRevised(req: CreateRequest): boolean {
  return (req.revision ?? 0) >= 1;
}

/** Where each of `ids` is in `all`, in `all`'s order. */
function indexesIn(all: string[], ids: ReadonlySet<string>): number[] {
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

function historyIsLong(revised: boolean): boolean {
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
async function settleRun(
  req: CreateRequest,
  { record, unsettled }: SettlingState,
): Promise<ReservationRecord> {
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
      record,
      unsettled: indexesIn(record.serverIds, waiting),
    });
  }
  record.stage = 'done';
  record.stageTimes.done = nowIso();
  upsertSearchAttributes([{ key: NovaStatus, value: 'done' }]);
  return record;
}
