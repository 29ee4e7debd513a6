import { randomBytes, randomUUID } from 'node:crypto';
import { startReservation } from '../../entities/reservation/client';
import type { Client } from '@temporalio/client';
import { reserveBatchOn, reserveQuotaOn } from '../../entities/quota/client';
import { forbidden } from '../../common/errors';
import type { AdmitResult, CreateRequest } from '../../entities/reservation/types';
import type { QuotaAnswer, QuotaReserveRequest } from '../../entities/quota/types';
import { readQuotaAnswer } from '../../entities/quota/rules';

/** A place in a project's next quota update, taken before the request it will carry is known. */
export interface Seat {
  /** Id of the update this seat's request will be decided in. */
  updateId: string;
  /** Hands over the request; resolves with the quota entity's answer. */
  submit(req: QuotaReserveRequest): Promise<QuotaAnswer>;
  /** Gives the seat up (the request will not come). */
  cancel(): void;
}

interface Waiter {
  resolve(answer: QuotaAnswer): void;
  reject(err: unknown): void;
}

interface Batch {
  updateId: string;
  /** Seats taken whose request has not come yet; the batch waits for them. */
  pending: number;
  seats: number;
  /** Server ids the seats' requests carry. */
  keys: number;
  requests: QuotaReserveRequest[];
  waiters: Map<string, Waiter>;
}

interface ProjectQueue {
  batches: Batch[];
  inFlight: boolean;
}

/** Most requests, and most server ids, one update carries (it stays well under Temporal's payload limits). */
const MAX_BATCH = { requests: 100, keys: 4000 };

/**
 * Group commit for admission: a project's quota entity is one workflow, so every create of the
 * project meets there. Instead of one update per create, each API process sends one update at a time
 * per project, carrying every request that came while the previous one ran. Under load that is many
 * creates per update (one workflow task, one round trip); alone, a request goes at once.
 *
 * A seat is taken before the reservation starts, so the reservation is born knowing which update
 * decides it and reads the answer from that update's outcome.
 */
export class QuotaBatcher {
  private readonly projects = new Map<string, ProjectQueue>();

  constructor(private readonly client: Client) {}

  /** A seat for a request of `keys` servers (its max_count). */
  seat(projectId: string, keys: number): Seat {
    let queue = this.projects.get(projectId);
    if (!queue) this.projects.set(projectId, (queue = { batches: [], inFlight: false }));
    let batch = queue.batches.at(-1);
    const full = (b: Batch) =>
      b.seats >= MAX_BATCH.requests || (b.seats > 0 && b.keys + keys > MAX_BATCH.keys);
    if (!batch || full(batch)) {
      batch = {
        updateId: `reserve-batch/${randomUUID()}`,
        pending: 0,
        seats: 0,
        keys: 0,
        requests: [],
        waiters: new Map(),
      };
      queue.batches.push(batch);
    }
    const b = batch;
    const q = queue;
    b.pending++;
    b.seats++;
    b.keys += keys;
    let used = false;
    return {
      updateId: b.updateId,
      submit: (req) => {
        if (used) throw new Error('seat already used');
        used = true;
        return new Promise((resolve, reject) => {
          b.waiters.set(req.reservationId, { resolve, reject });
          b.requests.push(req);
          b.pending--;
          this.pump(projectId, q);
        });
      },
      cancel: () => {
        if (used) return;
        used = true;
        b.pending--;
        this.pump(projectId, q);
      },
    };
  }

  /** Sends the next batch whose seats are all filled, when no update of the project is running. */
  private pump(projectId: string, queue: ProjectQueue): void {
    if (queue.inFlight) return;
    const i = queue.batches.findIndex((b) => b.pending === 0);
    if (i < 0) return;
    const [batch] = queue.batches.splice(i, 1);
    if (batch.requests.length === 0) {
      if (queue.batches.length === 0) this.projects.delete(projectId);
      return this.pump(projectId, queue);
    }
    queue.inFlight = true;
    reserveBatchOn(this.client, projectId, batch.updateId, batch.requests)
      .then(
        ({ answers }) => {
          for (const [id, w] of batch.waiters) {
            const answer = readQuotaAnswer(answers[id]);
            if (answer === undefined) w.reject(new Error(`no answer for ${id} in ${batch.updateId}`));
            else w.resolve(answer);
          }
        },
        (err) => {
          for (const w of batch.waiters.values()) w.reject(err);
        },
      )
      .finally(() => {
        queue.inFlight = false;
        if (queue.batches.length === 0) this.projects.delete(projectId);
        else this.pump(projectId, queue);
      });
  }
}

/** Nova's generated admin password: 12 characters of letters and digits. */
export function newAdminPass(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  return [...randomBytes(12)].map((b) => alphabet[b % alphabet.length]).join('');
}

/**
 * Admits a create: takes a seat in the project's next quota update, starts the reservation (which
 * learns the seat's update id), hands the request to that update and answers with its decision: the
 * 202's servers, or Nova's 403. The reservation is started before anything is reserved, so reserved
 * quota always has a workflow that owns it: the reservation reads the same answer from the update's
 * outcome (or, should this process die before sending it, reserves for itself) and goes on, or ends
 * when refused, whether or not this caller is still there. The caller waits for a bare start and its
 * share of one update on the project's long-running quota entity.
 */
export async function admit(client: Client, batcher: QuotaBatcher, req: CreateRequest): Promise<AdmitResult> {
  const serverIds = req.serverIds;
  const seat = batcher.seat(req.projectId, serverIds.length);
  try {
    await startReservation(client, req, seat.updateId);
  } catch (err) {
    seat.cancel();
    throw err;
  }
  const request: QuotaReserveRequest = {
    reservationId: req.reservationId,
    keys: serverIds,
    minCount: req.minCount,
    perInstance: { cores: req.flavor.vcpus, ram: req.flavor.ram },
  };
  let answer: QuotaAnswer;
  try {
    answer = await seat.submit(request);
  } catch {
    // The batch's outcome is unknown here. The entity answers by reservation: whatever it decided for
    // this one (or decides now, when the batch never arrived) is what the reservation gets too.
    answer = { granted: (await reserveQuotaOn(client, { projectId: req.projectId, ...request })).allowed };
  }
  if ('refused' in answer) throw forbidden(answer.refused);
  return {
    reservationId: req.reservationId,
    admitted: answer.granted,
    serverIds: serverIds.slice(0, answer.granted),
    adminPass: newAdminPass(),
  };
}
