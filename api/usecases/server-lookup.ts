import type { Client } from '@temporalio/client';
import { batchAnswer } from '../../entities/quota/client';
import { reservationOfServer } from '../../common/ids';
import { readServer } from '../../entities/server/client';
import { describeReservation } from '../../entities/reservation/client';
import type { ReservationMemo } from '../../entities/reservation/types';
import type { ServerRecord } from '../../entities/server/types';
import { initialServerRecord, serverName } from '../../entities/server/rules';

export { isClosed, isNotFound } from '../../entities/client-errors';

/**
 * Where a server id lives. From the 202 on, every id the API gave out is found: by its entity once the
 * spawn stage has started it, before that by its reservation (whose id the server id encodes; see
 * `requestIds`). Neither read goes through visibility, which lags behind.
 */
export type FoundServer =
  { kind: 'entity'; record: ServerRecord } | { kind: 'pending'; record: ServerRecord; reservationId: string };

/** A server admitted by its reservation and not started yet, as a BUILD record; undefined if none. */
async function readPending(
  client: Client,
  id: string,
  reservationId: string,
): Promise<{ record?: ServerRecord; launched: boolean }> {
  const found = await describeReservation(client, reservationId);
  if (!found) return { launched: false };
  const { memo, stage, running } = found;
  const index = memo?.serverIds?.indexOf(id) ?? -1;
  if (!memo?.shared || index < 0 || memo.cancelled?.includes(id)) return { launched: false };
  // From the spawn stage on, servers have entities (or were never launched).
  if (!running || stage === 'settle' || stage === 'done') return { launched: true };
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
    if (answer && 'refused' in answer) return [];
    if (answer) count = answer.granted;
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
  const entity = await readServer(client, id);
  if (entity) return { kind: 'entity', record: entity };
  const reservationId = reservationOfServer(id);
  if (!reservationId) return undefined;
  const pending = await readPending(client, id, reservationId);
  // The spawn stage may have started the entity since the first look.
  if (pending.launched) {
    const started = await readServer(client, id);
    if (started) return { kind: 'entity', record: started };
  }
  return pending.record ? { kind: 'pending', record: pending.record, reservationId } : undefined;
}
