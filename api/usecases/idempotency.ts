import { createHash } from 'node:crypto';
import { describeReservation } from '../../entities/reservation/client';
import type { Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { batchAnswer } from '../../entities/quota/client';
import { readQuotaAnswer } from '../../entities/quota/rules';
import { conflict, badRequest, forbidden, NovaError } from '../../common/errors';

/**
 * `Idempotency-Key` (the IETF httpapi draft's header): a client that cannot tell whether its create
 * happened (its connection dropped) sends the same key again and gets the first request's answer;
 * nothing new is created. Beyond Nova, like EC2's ClientToken.
 *
 * The key is kept nowhere but in the ids: the request's ids derive from a hash of (project, key), so
 * the second request names the same reservation as the first, and Temporal refuses to start it twice
 * for as long as it keeps the first (the namespace's retention, 24 h or more), whichever API process
 * or restart the second one reaches.
 */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

const KEY = /^[\x21-\x7e]{1,255}$/;

/** The caller's key, checked: 1-255 visible ASCII characters. */
export function idempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!KEY.test(header))
    throw badRequest(`Invalid ${IDEMPOTENCY_HEADER}: use 1-255 visible ASCII characters`);
  return header;
}

/** The six bytes a keyed request's ids derive from: the same for the same key in the same project. */
export function idempotencyPrefix(projectId: string, key: string): Uint8Array {
  return createHash('sha256').update(`${projectId}\n${key}`).digest().subarray(0, 6);
}

/** A fingerprint of the request body, so a key reused for another request is refused. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

/** The first request's outcome: its admitted server ids (first answer's servers), or Nova's refusal. */
export interface FirstAnswer {
  reservationId: string;
  serverIds: string[];
}

/** How long a repeat waits for the first request's admission to be known (its API may have died). */
const ANSWER_WAIT_MS = 10_000;

/**
 * The answer the first request with this key got, when there was one: undefined if no reservation
 * has the key's id. A repeat with another body is a 409; a refused first request is refused again.
 */
export async function firstAnswer(
  client: Client,
  reservationId: string,
  projectId: string,
  hash: string,
): Promise<FirstAnswer | undefined> {
  const deadline = Date.now() + ANSWER_WAIT_MS;
  for (let pause = 50; ; pause = Math.min(pause * 2, 1000)) {
    const found = await describeReservation(client, reservationId);
    if (!found) return undefined;
    const { memo } = found;
    if (memo?.shared?.projectId !== projectId || memo.idempotency?.requestHash !== hash) {
      throw conflict(`${IDEMPOTENCY_HEADER} was already used for a different request`);
    }
    let answer = readQuotaAnswer(memo.admission);
    if (answer === undefined && memo.admissionUpdateId)
      answer = await batchAnswer(client, projectId, memo.admissionUpdateId, reservationId, 1000);
    if (answer && 'refused' in answer) throw forbidden(answer.refused);
    if (answer) return { reservationId, serverIds: memo.serverIds.slice(0, answer.granted) };
    if (Date.now() > deadline) {
      throw new NovaError(
        'conflictingRequest',
        `The request with this ${IDEMPOTENCY_HEADER} is still being admitted; try again shortly`,
      );
    }
    await sleep(pause);
  }
}
