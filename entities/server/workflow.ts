import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ComputeActivities } from '../../activities/compute';
import type { ControlActivities } from '../../activities/control';
import { BUILD_ABORT, RESCHEDULE } from '../../common/errors';
import type { ServerAction, ServerActionRequest } from './messages';
import { releaseQuotaSignal } from '../quota/messages';
import { describeServerQuery, serverActionUpdate } from './messages';
import { serverBuiltSignal } from '../reservation/messages';
import { releaseClaimsSignal } from '../host/messages';
import { computeTaskQueue, hostWorkflowId, quotaWorkflowId, reservationWorkflowId } from '../../common/names';
import { NovaHost, NovaStatus } from '../../common/search-attributes';
import { serverStatus } from '../../common/status';
import type { Fault, Placement } from '../../common/types';
import type { InstanceAction, ServerRecord } from './types';
import { PowerState } from './types';
import { ActionLog, failureMessage, nowIso } from './action-log';
import { ENTITY_HISTORY_LIMIT } from '../../workflows/entity';
import { flavorResources, type ServerWorkflowInput } from '../reservation/stages';
import { allowedFrom, conflictMessage, initialServerRecord, memoView } from './rules';

/** Servers deleted before their build began leak no claim (histories before this replay without it). */
const RELEASE_UNBUILT_CLAIM = 'release-claim-of-unbuilt-server';

/** Nova's max_attempts: the chosen host plus up to two alternates. */
export const MAX_ATTEMPTS = 3;

/** Retried for a few minutes, never for ever: a failure then ends the build or retry in ERROR. */
const { claimOnHost, reserveQuota, scheduleServers } = proxyActivities<ControlActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '500ms', maximumInterval: '10s', maximumAttempts: 20 },
});

/** Claims an alternate host; a claim that failed for good is a host without room. */
async function claimed(input: Parameters<typeof claimOnHost>[0]): Promise<boolean> {
  try {
    return await claimOnHost(input);
  } catch (err) {
    if (isCancellation(err)) throw err;
    return false;
  }
}

/** Driver calls run on the host's own task queue; a dead host shows as a schedule-to-start timeout. */
function computeOn(host: string) {
  return proxyActivities<ComputeActivities>({
    taskQueue: computeTaskQueue(host),
    scheduleToStartTimeout: '1 minute',
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '20 seconds',
    // A delete during the build cancels the spawn and waits until the node has undone it.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: '1s',
      maximumInterval: '10s',
      maximumAttempts: 3,
      nonRetryableErrorTypes: [RESCHEDULE, BUILD_ABORT],
    },
  });
}

export interface ServerContinuation {
  record: ServerRecord;
  input: ServerWorkflowInput;
  holdsQuota: boolean;
}

/**
 * server/<uuid>: one instance for its whole life. It builds on its claimed host (rescheduling on
 * alternates when the driver says "try elsewhere"), then serves lifecycle actions until deleted.
 */
export async function serverWorkflow(
  input: ServerWorkflowInput,
  resumed?: ServerContinuation,
): Promise<ServerRecord> {
  const { seed } = input;
  let holdsQuota = resumed?.holdsQuota ?? input.holdsQuota;
  const record: ServerRecord =
    resumed?.record ?? initialServerRecord(seed, input.createdAt, input.fault, input.placement);
  const queue: ServerActionRequest[] = [];

  const touch = () => {
    record.updated = nowIso();
    upsertSearchAttributes([
      { key: NovaStatus, value: serverStatus(record.vmState, record.taskState) },
      { key: NovaHost, value: record.host ?? '' },
    ]);
    upsertMemo({ view: memoView(record) });
  };
  const log = new ActionLog(record.actions);

  const releaseHost = async () => {
    if (!record.host) return;
    await getExternalWorkflowHandle(hostWorkflowId(record.host)).signal(releaseClaimsSignal, {
      keys: [seed.id],
    });
    record.host = null;
  };
  const releaseQuota = async () => {
    if (!holdsQuota) return;
    await getExternalWorkflowHandle(quotaWorkflowId(seed.projectId)).signal(releaseQuotaSignal, {
      keys: [seed.id],
    });
    holdsQuota = false;
  };

  const fail = (fault: Omit<Fault, 'created'>) => {
    record.vmState = 'error';
    record.taskState = null;
    record.fault = { ...fault, created: nowIso() };
    touch();
  };

  /** Spawns on the placement's host, then its alternates; the first host is already claimed. */
  const buildOn = async (placement: Placement, action: InstanceAction) => {
    const hosts = [placement.host, ...placement.alternates].slice(0, MAX_ATTEMPTS);
    record.attempts = [];
    for (let i = 0; i < hosts.length; i++) {
      const host = hosts[i];
      if (i > 0 && !(await claimed({ host, key: seed.id, resources: flavorResources(seed.flavor) }))) {
        record.attempts.push({ host, result: 'Error', message: `no room left on ${host}` });
        continue;
      }
      record.host = host;
      record.taskState = 'spawning';
      record.progress = 0;
      touch();
      const event = log.begin(action, 'compute__do_build_and_run_instance', host);
      try {
        await computeOn(host).spawn({
          serverId: seed.id,
          name: seed.name,
          flavor: seed.flavor,
          imageRef: seed.imageRef,
          metadata: seed.metadata,
          extra: seed.extra,
        });
        log.finish(action, event);
        record.attempts.push({ host, result: 'Success', message: null });
        record.vmState = 'active';
        record.taskState = null;
        record.powerState = PowerState.RUNNING;
        record.progress = 100;
        record.launchedAt = nowIso();
        record.fault = null;
        touch();
        return;
      } catch (err) {
        if (isCancellation(err)) {
          log.finish(action, event, 'interrupted: the server was deleted while building');
          throw err;
        }
        const { type, message } = failureMessage(err);
        log.finish(action, event, message);
        record.attempts.push({ host, result: 'Error', message });
        await releaseHost();
        if (type === BUILD_ABORT) {
          fail({ code: 500, message: `Build of instance ${seed.id} aborted: ${message}` });
          return;
        }
      }
    }
    fail({
      code: 500,
      message:
        'Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for ' +
        `instance ${seed.id}.`,
      details: record.attempts.map((a) => `${a.host}: ${a.message}`).join('; '),
    });
  };

  /** The build in progress, so a delete can interrupt it instead of waiting for a slow spawn. */
  let buildScope: CancellationScope | undefined;
  const deleteQueued = () => queue.some((r) => r.action.type === 'delete');

  /** Builds unless a delete came first; a delete during the build cancels it (the delete then cleans up). */
  const build = async (placement: Placement, action: InstanceAction) => {
    if (deleteQueued()) {
      // The scheduler's claim on the first host is held until the delete gives it back.
      if (patched(RELEASE_UNBUILT_CLAIM)) record.host = placement.host;
      return;
    }
    buildScope = new CancellationScope();
    try {
      await buildScope.run(() => buildOn(placement, action));
    } catch (err) {
      if (!isCancellation(err)) throw err;
    } finally {
      buildScope = undefined;
    }
  };

  const reportBuilt = async () => {
    try {
      await getExternalWorkflowHandle(reservationWorkflowId(seed.reservationId)).signal(serverBuiltSignal, {
        serverId: seed.id,
        status: deleteQueued() ? 'DELETED' : record.vmState === 'active' ? 'ACTIVE' : 'ERROR',
        host: record.host,
        fault: record.fault,
      });
    } catch {
      // The reservation has settled already (a retry long after the create): nobody waits for this.
    }
  };

  /**
   * Re-enters admission and scheduling for a server in ERROR, then builds it like a create. Quota is
   * re-checked only when this server gave it back (born failed); a refusal leaves it in ERROR.
   */
  const retry = async (entry: InstanceAction, caller: ServerActionRequest['caller']) => {
    const event = log.begin(entry, 'conductor_schedule_and_build_instances', null);
    try {
      if (!holdsQuota) {
        await reserveQuota({
          projectId: seed.projectId,
          // One answer per retry request: the quota entity remembers answers by this id.
          reservationId: `${seed.reservationId}/retry/${seed.id}/${caller.requestId}`,
          keys: [seed.id],
          minCount: 1,
          perInstance: { cores: seed.flavor.vcpus, ram: seed.flavor.ram },
        });
        holdsQuota = true;
      }
      const { placements, noValidHost } = await scheduleServers({
        reservationId: seed.reservationId,
        projectId: seed.projectId,
        flavor: seed.flavor,
        serverIds: [seed.id],
        minCount: 1,
        availabilityZone: seed.availabilityZone,
        extra: seed.extra,
        filters: [],
        excludeHosts: [],
      });
      const placement = placements[seed.id];
      if (!placement) {
        const message = 'No valid host was found. There are not enough hosts available.';
        log.finish(entry, event, noValidHost ?? message);
        await releaseQuota();
        fail({ code: 500, message, details: noValidHost ?? undefined });
        return;
      }
      log.finish(entry, event);
      await build(placement, entry);
    } catch (err) {
      const { message } = failureMessage(err);
      log.finish(entry, event, message);
      fail({ code: /^Quota exceeded/.test(message) ? 403 : 500, message });
    }
    await reportBuilt();
  };

  const perform = async ({ action, caller }: ServerActionRequest): Promise<void> => {
    const entry = log.current();
    const host = record.host;
    const driver = host ? computeOn(host) : undefined;
    const step = async (event: string, call: () => Promise<void>) => {
      const e = log.begin(entry, event, host);
      try {
        await call();
        log.finish(entry, e);
        return true;
      } catch (err) {
        log.finish(entry, e, failureMessage(err).message);
        return false;
      }
    };
    switch (action.type) {
      case 'delete': {
        if (driver) await step('compute_terminate_instance', () => driver.destroy({ serverId: seed.id }));
        await releaseHost();
        await releaseQuota();
        record.vmState = 'deleted';
        record.taskState = null;
        record.powerState = PowerState.NOSTATE;
        record.terminatedAt = nowIso();
        touch();
        return;
      }
      case 'reboot': {
        const ok = await step('compute_reboot_instance', () =>
          driver!.reboot({ serverId: seed.id, hard: action.hard }),
        );
        if (ok) {
          record.vmState = 'active';
          record.powerState = PowerState.RUNNING;
        }
        break;
      }
      case 'stop': {
        if (await step('compute_stop_instance', () => driver!.powerOff({ serverId: seed.id }))) {
          record.vmState = 'stopped';
          record.powerState = PowerState.SHUTDOWN;
        }
        break;
      }
      case 'start': {
        if (await step('compute_start_instance', () => driver!.powerOn({ serverId: seed.id }))) {
          record.vmState = 'active';
          record.powerState = PowerState.RUNNING;
        }
        break;
      }
      case 'retry': {
        await retry(entry, caller);
        return;
      }
    }
    record.taskState = null;
    touch();
  };

  setHandler(describeServerQuery, () => record);
  setHandler(
    serverActionUpdate,
    (req) => {
      const names: Record<ServerAction['type'], string> = {
        delete: 'delete',
        reboot: 'reboot',
        stop: 'stop',
        start: 'start',
        retry: 'retry',
      };
      log.start(names[req.action.type], req.caller);
      record.taskState = pendingTaskState(req.action);
      // A retry is a build again: BUILD from the moment it is accepted, so no reader sees a stale ERROR.
      if (req.action.type === 'retry') {
        record.vmState = 'building';
        record.fault = null;
        record.progress = 0;
      }
      queue.push(req);
      if (req.action.type === 'delete') buildScope?.cancel();
      touch();
    },
    {
      validator: (req) => {
        const allowed = allowedFrom(req.action, record);
        if (!allowed) {
          throw ApplicationFailure.create({
            type: 'conflictingRequest',
            message: conflictMessage(req.action, record),
            nonRetryable: true,
          });
        }
      },
    },
  );

  if (!resumed) {
    const create = log.start('create', {
      userId: seed.userId,
      projectId: seed.projectId,
      requestId: input.requestId,
    });
    if (input.fault) {
      create.message = 'Error';
      touch();
    } else if (input.placement) {
      await build(input.placement, create);
    }
    await reportBuilt();
  }

  for (;;) {
    await condition(() => queue.length > 0 || workflowInfo().historyLength > ENTITY_HISTORY_LIMIT);
    const next = queue.shift();
    if (!next) {
      await continueAsNew<typeof serverWorkflow>(input, { record, input, holdsQuota });
      return record;
    }
    await perform(next);
    if (record.vmState === 'deleted') return record;
  }
}

function pendingTaskState(action: ServerAction): string {
  switch (action.type) {
    case 'delete':
      return 'deleting';
    case 'reboot':
      return action.hard ? 'reboot_started_hard' : 'reboot_started';
    case 'stop':
      return 'powering-off';
    case 'start':
      return 'powering-on';
    case 'retry':
      return 'scheduling';
  }
}
