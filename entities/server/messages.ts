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
