import { failureMessage, nowIso } from './action-log';
import type { ServerEntity } from './entity';
import { uuid4 } from '@temporalio/workflow';
import type { PowerReport, ServerAction, ServerActionRequest, ServerEdit } from './messages';
import type { ServerRecord } from './types';
import { retry } from './retry';
import {
  allowedFrom,
  conflictMessage,
  editedMetadata,
  editedTags,
  MAX_METADATA_ITEMS,
  MAX_TAGS,
  METADATA_LIMIT_MESSAGE,
} from './rules';
import { PowerState } from './types';
import { parseAvailabilityZone } from '../../common/zones';
import { badRequest, conflict, forbidden, notFound, toFailure } from '../../common/errors';

/** The update's validator: Nova's 409 when vm_state/task_state forbid the action (nothing is written). */
export function validateAction(s: ServerEntity, req: ServerActionRequest): void {
  if (s.record.locked && !req.overridesLock) throw toFailure(conflict(lockedMessage(s.record.id)));
  if (!allowedFrom(req.action, s.record)) {
    throw toFailure(conflict(conflictMessage(req.action, s.record)));
  }
}

/** The vm_states whose metadata may change (Nova's check on the metadata routes), with no task running. */
const METADATA_VM_STATES = ['active', 'stopped'];
/** The vm_states whose tags may change (Nova's, of those novaflow has). */
const TAG_VM_STATES = ['active', 'stopped'];

const lockedMessage = (id: string) => `Instance ${id} is locked`;

/** An edit's validator: metadata changes need a settled server, as in Nova; names and descriptions do not. */
export function validateEdit(s: ServerEntity, edit: ServerEdit): void {
  const { record } = s;
  if (record.vmState === 'deleted' || record.taskState === 'deleting')
    throw toFailure(notFound(`Instance ${record.id} could not be found.`));
  // Decided here, against the metadata the change applies to, so two changes cannot pass the limit.
  const m = edit.metadata;
  if (m && 'remove' in m && !(m.remove in record.metadata))
    throw toFailure(notFound('Metadata item was not found'));
  if (m && Object.keys(editedMetadata(record.metadata, m)).length > MAX_METADATA_ITEMS)
    throw toFailure(forbidden(METADATA_LIMIT_MESSAGE));
  if (edit.metadata && record.locked && !edit.asAdmin) throw toFailure(conflict(lockedMessage(record.id)));
  if (edit.metadata && (!METADATA_VM_STATES.includes(record.vmState) || record.taskState !== null)) {
    const why = record.taskState !== null ? `task_state ${record.taskState}` : `vm_state ${record.vmState}`;
    throw toFailure(conflict(`Cannot 'update metadata' instance ${record.id} while it is in ${why}`));
  }
  const t = edit.tags;
  if (t) {
    if (!TAG_VM_STATES.includes(record.vmState))
      throw toFailure(
        conflict(`Cannot 'update tags' instance ${record.id} while it is in vm_state ${record.vmState}`),
      );
    const current = record.tags ?? [];
    if ('remove' in t && !current.includes(t.remove))
      throw toFailure(notFound(`Instance ${record.id} has no tag '${t.remove}'`));
    if (editedTags(current, t).length > MAX_TAGS)
      throw toFailure(badRequest(`The number of tags exceeded the per-server limit ${MAX_TAGS}`));
  }
  if (edit.pinnedZone !== undefined && edit.pinnedZone !== null) {
    const here = record.hostZone ?? parseAvailabilityZone(record.availabilityZone).zone ?? null;
    const pinned = parseAvailabilityZone(record.availabilityZone).zone ?? null;
    if (pinned !== null && pinned !== edit.pinnedZone)
      throw toFailure(conflict(`Server ${record.id} is pinned to ${pinned}: unpin it first.`));
    if (edit.pinnedZone !== here)
      throw toFailure(
        conflict(`Server ${record.id} is in availability zone ${here ?? 'none'}, not ${edit.pinnedZone}.`),
      );
  }
  if (edit.lock && 'unlock' in edit.lock && record.locked?.by === 'admin' && !edit.asAdmin)
    throw toFailure(
      forbidden("Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed."),
    );
}

/** An edit's handler: changes the record at once and publishes it. */
export function applyEdit(s: ServerEntity, edit: ServerEdit): ServerRecord {
  const { record } = s;
  if (edit.name !== undefined) record.name = edit.name;
  if (edit.description !== undefined) record.description = edit.description;
  if (edit.metadata) record.metadata = editedMetadata(record.metadata, edit.metadata);
  if (edit.hostname !== undefined) record.hostname = edit.hostname;
  if (edit.pinnedZone !== undefined) {
    // The zone part of what the create asked for; a forced host stays with it.
    const { host } = parseAvailabilityZone(record.availabilityZone);
    record.availabilityZone =
      edit.pinnedZone === null
        ? host
          ? `:${host}`
          : null
        : host
          ? `${edit.pinnedZone}:${host}`
          : edit.pinnedZone;
  }
  if (edit.keyName !== undefined) record.keyName = edit.keyName;
  if (edit.accessIPv4 !== undefined) record.accessIPv4 = edit.accessIPv4;
  if (edit.accessIPv6 !== undefined) record.accessIPv6 = edit.accessIPv6;
  if (edit.tags) record.tags = editedTags(record.tags ?? [], edit.tags);
  // Locking a locked server changes nothing, so an owner cannot take over an admin's lock.
  if (edit.lock) record.locked = 'unlock' in edit.lock ? null : (record.locked ?? edit.lock);
  if (edit.resetState) {
    record.vmState = edit.resetState;
    record.taskState = null;
  }
  s.touch();
  return record;
}

/** The update's handler: records the instance action, sets the task state and queues the work. */
export function acceptAction(s: ServerEntity, req: ServerActionRequest): void {
  const { record } = s;
  s.log.start(req.action.type, req.caller);
  record.taskState = pendingTaskState(req.action);
  // A retry is a build again: BUILD from the moment it is accepted, so no reader sees a stale ERROR.
  if (req.action.type === 'retry') {
    record.vmState = 'building';
    record.fault = null;
    record.progress = 0;
  }
  if (req.action.type === 'rebuild') {
    record.imageRef = req.action.imageRef;
    if (req.action.guest) record.guest = { ...record.guest, ...req.action.guest };
    if (req.action.shown) record.shown = { ...record.shown, ...req.action.shown };
    const { metadata, ...changes } = req.action.changes ?? {};
    applyEdit(s, { ...changes, ...(metadata ? { metadata: { replace: metadata } } : {}) });
    record.progress = 0;
  }
  s.queue.push(req);
  if (req.action.type === 'delete') s.buildScope?.cancel();
  s.touch();
}

/** Runs one accepted action on the server's host. */
export async function perform(s: ServerEntity, { action, caller }: ServerActionRequest): Promise<void> {
  const { record, seed, log } = s;
  const entry = log.current();
  const host = record.host;
  const driver = s.driver();
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
      // What the server holds goes back at once (revision 1): each release is its own entity's, none
      // waits on another, so they take one workflow task instead of one each.
      if (s.revision >= 1) await Promise.all([s.releaseSteps(), s.releaseHostAndQuota()]);
      else {
        await s.releaseSteps();
        await s.releaseHost();
        await s.releaseQuota();
      }
      record.vmState = 'deleted';
      record.taskState = null;
      record.powerState = PowerState.NOSTATE;
      record.terminatedAt = nowIso();
      s.touch();
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
      await retry(s, entry, caller);
      return;
    }
    case 'rebuild': {
      const stopped = record.vmState === 'stopped';
      const ok = await step('compute_rebuild_instance', async () => {
        const guest = await s.prepareSteps(host!);
        await driver!.destroy({ serverId: seed.id });
        record.taskState = 'rebuild_spawning';
        s.touch();
        await driver!.spawn({
          serverId: seed.id,
          name: record.name,
          ...(record.hostname ? { hostname: record.hostname } : {}),
          flavor: seed.flavor,
          imageRef: record.imageRef,
          metadata: record.metadata,
          extra: seed.extra,
          ...(record.guest || Object.keys(guest).length > 0 ? { guest: { ...record.guest, ...guest } } : {}),
        });
        // A server rebuilt while stopped stays stopped, as in Nova.
        if (stopped) await driver!.powerOff({ serverId: seed.id });
      });
      if (ok) {
        record.vmState = stopped ? 'stopped' : 'active';
        record.powerState = stopped ? PowerState.SHUTDOWN : PowerState.RUNNING;
        record.launchedAt = nowIso();
        record.fault = null;
        record.progress = 100;
      } else {
        record.powerState = PowerState.NOSTATE;
        s.fail({
          code: 500,
          message: `Rebuild of instance ${seed.id} failed: ${entry.events.at(-1)?.traceback ?? 'driver error'}`,
        });
      }
      break;
    }
  }
  record.taskState = null;
  s.touch();
}

/**
 * A compute node says the server's machine stopped on its own. Believed only for a server that runs
 * on that host with nothing in progress (an action under way knows better), once per report in queue.
 */
export function notePowerReport(s: ServerEntity, report: PowerReport): void {
  const { record } = s;
  if (report.running || report.host !== record.host) return;
  if (record.vmState !== 'active' || record.taskState !== null) return;
  if (s.queue.some((w) => 'powerReport' in w)) return;
  s.queue.push({ powerReport: report });
}

/**
 * Nova's power state sync: asks the host whether the machine runs; if it does not, the server is
 * stopped as Nova's periodic task stops it (a `stop` instance action with no user, power state
 * SHUTDOWN), so what the API shows is what the hypervisor has. A host that cannot answer changes nothing.
 */
export async function syncPower(s: ServerEntity, report: PowerReport): Promise<void> {
  const { record, seed, log } = s;
  if (record.vmState !== 'active' || record.taskState !== null || record.host !== report.host) return;
  let info: { running: boolean } | null;
  try {
    info = await s.driver()!.powerState({ serverId: seed.id });
  } catch {
    return;
  }
  if (info?.running) return;
  const entry = log.start('stop', { userId: null, projectId: seed.projectId, requestId: `req-${uuid4()}` });
  const event = log.begin(entry, 'compute_sync_power_state', report.host);
  log.finish(entry, event);
  record.vmState = 'stopped';
  record.powerState = PowerState.SHUTDOWN;
  record.taskState = null;
  s.touch();
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
    case 'rebuild':
      return 'rebuilding';
  }
}
