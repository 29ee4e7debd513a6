import type { Client } from '@temporalio/client';
import { isServerRunning } from '../../entities/server/client';
import type { ServerGroupRecord } from './workflow';

/**
 * The group with only its live members: a deleted server leaves its group, as in Nova. Its entity
 * ends when the delete is done, so a member whose workflow no longer runs is gone.
 */
export async function withLiveMembers(client: Client, g: ServerGroupRecord): Promise<ServerGroupRecord> {
  const alive = await Promise.all(g.members.map((id) => isServerRunning(client, id)));
  return { ...g, members: g.members.filter((_, i) => alive[i]) };
}
