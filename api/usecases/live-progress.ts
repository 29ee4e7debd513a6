import type { Client } from '@temporalio/client';
import { spawnProgress } from '../../entities/server/client';

export { decodePayloads, type RawPayload } from '../../entities/server/client';

/**
 * Overlays the live build progress on a server record. The server workflow cannot see heartbeats, and
 * having the compute node signal each step would add history events and workflow tasks to every
 * build, whether or not anyone looks. Reading the pending activity's heartbeat details costs one
 * describe call, and only when someone reads a server that is spawning right now.
 */
export async function withLiveProgress<T extends { id: string; taskState: string | null; progress: number }>(
  client: Client,
  record: T,
): Promise<T> {
  if (record.taskState !== 'spawning') return record;
  const progress = await spawnProgress(client, record.id).catch(() => undefined);
  return progress === undefined ? record : { ...record, progress: Math.max(record.progress, progress) };
}
