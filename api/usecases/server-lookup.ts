import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { batchAnswer } from '../../entities/quota/client';
import { reservationOfServer } from '../../common/ids';
import { describeServerQuery } from '../../entities/server/messages';
import { cancelServerUpdate } from '../../entities/reservation/messages';
import { reservationWorkflowId, serverWorkflowId } from '../../common/names';
import { NovaStatus } from '../../common/search-attributes';
import type { ReservationMemo } from '../../entities/reservation/types';
import type { ServerRecord } from '../../entities/server/types';
import { initialServerRecord, serverName, type ServerMemoView } from '../../entities/server/rules';

/**
 * Where a server id lives. From the 202 on, every id the API gave out is found: by its entity once the
 * spawn stage has started it, before that by its reservation (whose id the server id encodes; see
 * `requestIds`). Neither read goes through visibility, which lags behind.
 */
export type FoundServer =
  { kind: 'entity'; record: ServerRecord } | { kind: 'pending'; record: ServerRecord; reservationId: string };

export function isNotFound(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError || (err as Error)?.name === 'WorkflowNotFoundError';
}

/** A completed workflow refuses updates; the client reports it like a missing one or by this text. */
export function isClosed(err: unknown): boolean {
  return isNotFound(err) || /already completed/i.test(String((err as Error)?.message));
}

function fromView(view: ServerMemoView): ServerRecord {
  return { ...view, attempts: [], actions: [] };
}

/**
 * The server's entity, if it was started: the view its memo keeps (updated with every change), read
 * by a describe, which the Temporal server answers itself. A query would wait for a worker to take a
 * query task — up to 30 s while the entity's first workflow task is still queued behind build work.
 */
async function readEntity(client: Client, id: string): Promise<ServerRecord | undefined> {
  const handle = client.workflow.getHandle(serverWorkflowId(id));
  try {
    const view = (await handle.describe()).memo?.view as ServerMemoView | undefined;
    return view ? fromView(view) : await handle.query(describeServerQuery);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** A server admitted by its reservation and not started yet, as a BUILD record; undefined if none. */
async function readPending(
  client: Client,
  id: string,
  reservationId: string,
): Promise<{ record?: ServerRecord; launched: boolean }> {
  let description;
  try {
    description = await client.workflow.getHandle(reservationWorkflowId(reservationId)).describe();
  } catch (err) {
    if (isNotFound(err)) return { launched: false };
    throw err;
  }
  const memo = description.memo as ReservationMemo | undefined;
  const index = memo?.serverIds?.indexOf(id) ?? -1;
  if (!memo?.shared || index < 0 || memo.cancelled?.includes(id)) return { launched: false };
  const stage = description.typedSearchAttributes.get(NovaStatus);
  // From the spawn stage on, servers have entities (or were never launched).
  if (description.status.name !== 'RUNNING' || stage === 'settle' || stage === 'done')
    return { launched: true };
  const record = (await pendingOf(client, memo, stage)).find((r) => r.id === id);
  return { record, launched: stage === 'spawn' };
}

/**
 * The servers a reservation in an early stage answers for, from its memo: all it admitted, less those
 * deleted. While it is in the admit stage, the count comes from the quota update the API decided it in
 * (unknown yet: every requested server is shown; refused: none).
 */
export async function pendingOf(
  client: Client,
  memo: ReservationMemo | undefined,
  stage: unknown,
): Promise<ServerRecord[]> {
  if (!memo?.shared) return [];
  let count = memo.serverIds.length;
  if (stage === 'admit' && memo.admissionUpdateId) {
    const { projectId, reservationId } = memo.shared;
    const answer = await batchAnswer(client, projectId, memo.admissionUpdateId, reservationId);
    if (typeof answer === 'string') return [];
    if (typeof answer === 'number') count = answer;
  }
  const { createdAt, name, ...shared } = memo.shared;
  return memo.serverIds
    .slice(0, count)
    .map((id, index) =>
      initialServerRecord(
        { ...shared, id, name: serverName(name, index, count), launchIndex: index },
        createdAt,
        null,
        null,
      ),
    )
    .filter((r) => !memo.cancelled?.includes(r.id));
}

/** The server with this id, wherever it lives now; undefined when no such server was ever admitted. */
export async function findServer(client: Client, id: string): Promise<FoundServer | undefined> {
  const entity = await readEntity(client, id);
  if (entity) return { kind: 'entity', record: entity };
  const reservationId = reservationOfServer(id);
  if (!reservationId) return undefined;
  const pending = await readPending(client, id, reservationId);
  // The spawn stage may have started the entity since the first look.
  if (pending.launched) {
    const started = await readEntity(client, id);
    if (started) return { kind: 'entity', record: started };
  }
  return pending.record ? { kind: 'pending', record: pending.record, reservationId } : undefined;
}

/**
 * Deletes a server its reservation has not started yet. Answers whether the reservation dropped it
 * (`cancelled`), or had begun to launch it (`launched`: the delete is then its entity's).
 */
export async function cancelPending(
  client: Client,
  reservationId: string,
  serverId: string,
): Promise<'cancelled' | 'launched'> {
  try {
    return await client.workflow
      .getHandle(reservationWorkflowId(reservationId))
      .executeUpdate(cancelServerUpdate, { args: [{ serverId }], updateId: `cancel/${serverId}` });
  } catch (err) {
    if (isClosed(err)) return 'launched';
    throw err;
  }
}
