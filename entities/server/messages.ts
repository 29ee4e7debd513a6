import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Caller } from '../../common/types';
import type { ServerRecord } from './types';

/** The server entity's updates and queries, shared by its workflow and its clients. */
export type ServerAction =
  | { type: 'reboot'; hard: boolean }
  | { type: 'stop' }
  | { type: 'start' }
  | { type: 'delete' }
  | { type: 'retry' };

export interface ServerActionRequest {
  action: ServerAction;
  caller: Pick<Caller, 'userId' | 'projectId' | 'requestId'>;
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
}

/** Answers the record after the change; a metadata change refused by the state is a 409. */
export const editServerUpdate = defineUpdate<ServerRecord, [ServerEdit]>('editServer');
