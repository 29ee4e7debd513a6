import type { Client } from '@temporalio/client';
import { describeServer } from '../../entities/server/client';
import { notFound } from '../../common/errors';
import { timeQuery } from '../paging';
import type { Caller } from '../../common/types';
import type { InstanceAction, ServerRecord } from '../../entities/server/types';
import { getServer } from './servers';
import { isUuid } from '../../common/ids';

/**
 * A server's record for its instance actions, deleted servers included: the entity of a deleted server
 * has completed but still answers queries. `withDeleted` false keeps Nova's pre-2.21 404.
 */
export async function serverForActions(
  client: Client,
  caller: Caller,
  id: string,
  withDeleted: boolean,
): Promise<ServerRecord> {
  if (!isUuid(id)) throw notFound(`Instance ${id} could not be found.`);
  const record = await describeServer(client, id);
  // Admitted but not started yet: no actions so far.
  if (!record) return getServer(client, caller, id);
  const hidden = !caller.isAdmin && record.projectId !== caller.projectId;
  if (hidden || (record.vmState === 'deleted' && !withDeleted))
    throw notFound(`Instance ${id} could not be found.`);
  return record;
}

/** Nova's `changes-since`/`changes-before`/`limit`/`marker` over actions, newest first. */
export interface ActionPage {
  limit?: number;
  marker?: string;
  changesSince?: string;
  changesBefore?: string;
}

/** The server's actions newest first, paged the way Nova pages them (marker = a request id). */
export function pageActions(actions: InstanceAction[], page: ActionPage): InstanceAction[] {
  let list = [...actions].reverse();
  const since = page.changesSince === undefined ? undefined : timeQuery('changes-since', page.changesSince);
  const before =
    page.changesBefore === undefined ? undefined : timeQuery('changes-before', page.changesBefore);
  if (since !== undefined) list = list.filter((a) => Date.parse(a.updatedAt) >= since);
  if (before !== undefined) list = list.filter((a) => Date.parse(a.updatedAt) <= before);
  if (page.marker) {
    const at = list.findIndex((a) => a.requestId === page.marker);
    if (at < 0) throw notFound(`Marker ${page.marker} could not be found.`);
    list = list.slice(at + 1);
  }
  return page.limit === undefined ? list : list.slice(0, page.limit);
}

/** One action by its request id, or Nova's 404. */
export function findAction(record: ServerRecord, requestId: string): InstanceAction {
  const found = [...record.actions].reverse().find((a) => a.requestId === requestId);
  if (!found) throw notFound(`Action ${requestId} not found`);
  return found;
}
