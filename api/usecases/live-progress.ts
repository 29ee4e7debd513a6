import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { serverWorkflowId } from '../../common/names';

/** A protobuf payload as the Temporal client returns it inside raw responses. */
export interface RawPayload {
  metadata?: Record<string, Uint8Array> | null;
  data?: Uint8Array | null;
}

/** Decodes payloads of a raw response with the default converter (novaflow uses no codec). */
export function decodePayloads(payloads: readonly RawPayload[] | null | undefined): unknown[] {
  return (payloads ?? []).map((p) => {
    try {
      return defaultPayloadConverter.fromPayload({
        metadata: p.metadata ?? undefined,
        data: p.data ?? undefined,
      });
    } catch {
      return undefined;
    }
  });
}

/** The `progress` the spawn activity last reported in its heartbeat details, if it is running. */
export async function spawnProgress(client: Client, serverId: string): Promise<number | undefined> {
  const { raw } = await client.workflow.getHandle(serverWorkflowId(serverId)).describe();
  for (const pending of raw.pendingActivities ?? []) {
    if (pending.activityType?.name !== 'spawn') continue;
    const [details] = decodePayloads(pending.heartbeatDetails?.payloads);
    const progress = (details as { progress?: unknown } | undefined)?.progress;
    if (typeof progress === 'number') return progress;
  }
  return undefined;
}

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
