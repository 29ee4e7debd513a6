import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Caller } from '../../common/types';
import type { ServerLock, ServerRecord } from './types';

/** The server entity's updates and queries, shared by its workflow and its clients. */
export type ServerAction =
  | { type: 'reboot'; hard: boolean }
  | { type: 'stop' }
  | { type: 'start' }
  | { type: 'delete' }
  | { type: 'retry' }
  | {
      /** Nova's rebuild: the same server on the same host, spawned again from `imageRef`. */
      type: 'rebuild';
      imageRef: string;
      /** What the checks captured for the guest with the new image (replacing the old entries). */
      guest?: Record<string, Record<string, unknown>>;
      /** What the checks captured for the views with the new image. */
      shown?: Record<string, Record<string, unknown>>;
      /** What changes with it: name, metadata (replaced), access addresses, description. */
      changes?: Pick<
        ServerEdit,
        'name' | 'description' | 'accessIPv4' | 'accessIPv6' | 'hostname' | 'keyName'
      > & {
        metadata?: Record<string, string>;
      };
    };

export interface ServerActionRequest {
  action: ServerAction;
  caller: Pick<Caller, 'userId' | 'projectId' | 'requestId'>;
  /** The caller may act on a locked server (an admin); absent: a lock refuses the action. */
  overridesLock?: boolean;
}

/** Lifecycle actions are updates: the validator answers 409 before anything is written to history. */
export const serverActionUpdate = defineUpdate<void, [ServerActionRequest]>('serverAction');
export const describeServerQuery = defineQuery<ServerRecord>('describeServer');

/**
 * A change of what a server is called and carries, applied at once by the entity (no driver call):
 * `PUT /servers/{id}` and the server metadata routes.
 */
export interface ServerEdit {
  name?: string;
  description?: string | null;
  /** Metadata: `replace` sets the whole map, `merge` adds or overwrites keys, `remove` drops one key. */
  metadata?: { replace: Record<string, string> } | { merge: Record<string, string> } | { remove: string };
  /** 2.104: pin the server to its zone (that zone's name) or unpin it (null). */
  pinnedZone?: string | null;
  /** The hostname (2.90). */
  hostname?: string;
  /** The key pair a rebuild (2.54) gives the server; null: none. */
  keyName?: string | null;
  /** `accessIPv4` / `accessIPv6`; an empty string clears one. */
  accessIPv4?: string;
  accessIPv6?: string;
  /** Tags: the whole list replaced, one added, or one removed. */
  tags?: { replace: string[] } | { add: string } | { remove: string };
  /** Lock (with who and why) or unlock; unlocking an admin's lock needs `asAdmin`. */
  lock?: ServerLock | { unlock: true };
  /** An admin's os-resetState: the vm_state set, the task cleared, nothing run. */
  resetState?: 'active' | 'error';
  /** The editor is an admin: a lock does not stop the change, and an admin's lock may be lifted. */
  asAdmin?: boolean;
}

/**
 * What a compute node saw of a server's machine that no action asked for: it stopped (QEMU was
 * killed, the guest powered itself off). The entity checks with the host before it believes it.
 */
export interface PowerReport {
  host: string;
  running: boolean;
  reason: string;
}
export const powerReportSignal = defineSignal<[PowerReport]>('powerReport');

/** Answers the record after the change; a metadata change refused by the state is a 409. */
export const editServerUpdate = defineUpdate<ServerRecord, [ServerEdit]>('editServer');
