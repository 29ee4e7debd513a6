import type { ServerAction } from './messages';
import type { Fault, Placement } from '../../common/types';
import type { CreateRequest } from '../reservation/types';
import type { ServerRecord, ServerSeed, VmState } from './types';
import { PowerState } from './types';

/** The vm_states each action may start from (Nova's check_instance_state). */
const ALLOWED_VM_STATES: Record<string, VmState[]> = {
  reboot: ['active'],
  reboot_hard: ['active', 'stopped', 'error'],
  stop: ['active', 'error'],
  start: ['stopped'],
  delete: ['building', 'active', 'stopped', 'error'],
  retry: ['error'],
  rebuild: ['active', 'stopped', 'error'],
};

function ruleOf(action: ServerAction): string {
  return action.type === 'reboot' && action.hard ? 'reboot_hard' : action.type;
}

/** Whether an action may start now; a task in progress blocks everything but a first delete. */
export function allowedFrom(action: ServerAction, record: ServerRecord): boolean {
  if (!ALLOWED_VM_STATES[ruleOf(action)].includes(record.vmState)) return false;
  // A rebuild spawns again where the server is: one never placed has nowhere to rebuild.
  if (action.type === 'rebuild' && record.host === null) return false;
  if (action.type === 'delete') return record.taskState !== 'deleting';
  return record.taskState === null;
}

/** Nova's 409 text for an action the state does not allow. */
export function conflictMessage(action: ServerAction, record: ServerRecord): string {
  const name = action.type;
  if (!ALLOWED_VM_STATES[ruleOf(action)].includes(record.vmState)) {
    return `Cannot '${name}' instance ${record.id} while it is in vm_state ${record.vmState}`;
  }
  return `Cannot '${name}' instance ${record.id} while it is in task_state ${record.taskState}`;
}

/** What every server of a create request shares: its seed without id, name and launch index. */
export function sharedSeed(req: CreateRequest): Omit<ServerSeed, 'id' | 'name' | 'launchIndex'> {
  return {
    projectId: req.projectId,
    userId: req.userId,
    reservationId: req.reservationId,
    flavor: req.flavor,
    imageRef: req.imageRef,
    metadata: req.metadata,
    availabilityZone: req.availabilityZone,
    keyName: req.keyName,
    securityGroups: req.securityGroups,
    diskConfig: req.diskConfig,
    description: req.description,
    ...(req.networks === undefined ? {} : { networks: req.networks }),
    ...(req.guest === undefined ? {} : { guest: req.guest }),
    ...(req.shown === undefined ? {} : { shown: req.shown }),
    ...(req.accessIPv4 === undefined ? {} : { accessIPv4: req.accessIPv4 }),
    ...(req.accessIPv6 === undefined ? {} : { accessIPv6: req.accessIPv6 }),
    ...(req.tags === undefined ? {} : { tags: req.tags }),
    ...(req.hostname === undefined ? {} : { hostname: req.hostname }),
    extra: req.extra,
  };
}

/** A server's name: a request for several servers numbers them (`web-1`, `web-2`), as Nova does. */
export function serverName(base: string, launchIndex: number, count: number): string {
  return count > 1 ? `${base}-${launchIndex + 1}` : base;
}

/**
 * The part of a server kept in its memo, so list views need no query to each workflow. What was
 * captured for the guest stays out: no view shows it, and every memo upsert would carry it.
 */
export type ServerMemoView = Omit<ServerRecord, 'actions' | 'attempts' | 'guest'>;

export function memoView(record: ServerRecord): ServerMemoView {
  const { actions: _actions, attempts: _attempts, guest: _guest, ...view } = record;
  return view;
}

/**
 * A server before its first build step: BUILD (scheduling, or spawning once placed), or ERROR when
 * it is born failed. Its workflow, its first list view and its pending view all start from this.
 */
export function initialServerRecord(
  seed: ServerSeed,
  createdAt: string,
  fault: Fault | null,
  placement: Placement | null,
): ServerRecord {
  return {
    ...seed,
    vmState: fault ? 'error' : 'building',
    taskState: fault ? null : placement ? 'spawning' : 'scheduling',
    powerState: PowerState.NOSTATE,
    host: null,
    progress: 0,
    fault,
    created: createdAt,
    updated: createdAt,
    launchedAt: null,
    terminatedAt: null,
    attempts: [],
    actions: [],
  };
}

/** Nova's limit on a server's metadata items, at create and on every change. */
export const MAX_METADATA_ITEMS = 128;

/** Nova's 403 text beyond that limit. */
export const METADATA_LIMIT_MESSAGE = `Maximum number of metadata items exceeds ${MAX_METADATA_ITEMS}`;

/** A server's metadata after an edit: the whole map replaced, keys merged in, or one key removed. */
export function editedMetadata(
  current: Record<string, string>,
  edit: { replace: Record<string, string> } | { merge: Record<string, string> } | { remove: string },
): Record<string, string> {
  if ('replace' in edit) return { ...edit.replace };
  if ('merge' in edit) return { ...current, ...edit.merge };
  const { [edit.remove]: _gone, ...rest } = current;
  return rest;
}

/** Nova's limit on a server's tags. */
export const MAX_TAGS = 50;

/** A server's tags after an edit: replaced (duplicates dropped), one added (once), or one removed. */
export function editedTags(
  current: readonly string[],
  edit: { replace: string[] } | { add: string } | { remove: string },
): string[] {
  if ('replace' in edit) return [...new Set(edit.replace)];
  if ('add' in edit) return current.includes(edit.add) ? [...current] : [...current, edit.add];
  return current.filter((t) => t !== edit.remove);
}
