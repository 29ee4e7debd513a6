import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { CONTROL_TASK_QUEUE, reservationWorkflowId } from '../../common/names';
import { NovaKind, NovaProject, NovaReservation, NovaStatus } from '../../common/search-attributes';
import { nowIso } from '../server/action-log';
import { isClosed, isNotFound } from '../client-errors';
import { sharedSeed } from '../server/rules';
import type { ServerRecord } from '../server/types';
import { cancelServerUpdate, describeReservationQuery, pendingServersQuery } from './messages';
import {
  RESERVATION_REVISION,
  type CreateRequest,
  type ReservationMemo,
  type ReservationRecord,
} from './types';
import type { reservationWorkflow } from './workflow';

/** The reservation's client: the only code that starts `reservation/r-…` or sends it updates and queries. */

/**
 * The reservation's memo: the server ids (in launch order) and their shared seed let any reader show
 * the servers before their entities exist; the update id lets a reader that comes before the
 * reservation has read its admission learn it; a keyed request's hash lets a repeat be checked.
 */
function reservationMemo(req: CreateRequest, admissionUpdateId: string): ReservationMemo {
  // What was captured for the guest is the servers' business, not the readers'.
  const { guest: _guest, ...shared } = sharedSeed(req);
  return {
    extensions: req.extensions,
    serverIds: req.serverIds ?? [],
    admissionUpdateId,
    ...(req.idempotency ? { idempotency: req.idempotency } : {}),
    shared: {
      ...shared,
      name: req.name,
      createdAt: nowIso(),
    },
  };
}

/** Starts a create's reservation, told which quota update will decide it. */
export async function startReservation(client: Client, req: CreateRequest, admissionUpdateId: string) {
  await client.workflow.start<typeof reservationWorkflow>('reservationWorkflow', {
    workflowId: reservationWorkflowId(req.reservationId),
    taskQueue: CONTROL_TASK_QUEUE,
    // The ids go once, in the memo (the workflow reads them there: requestedIds).
    args: [{ ...req, serverIds: [], admissionUpdateId, revision: RESERVATION_REVISION }],
    workflowIdConflictPolicy: 'FAIL',
    // A keyed request's id must never start twice, even after the first one has finished.
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    memo: { ...reservationMemo(req, admissionUpdateId) },
    typedSearchAttributes: [
      { key: NovaKind, value: 'reservation' },
      { key: NovaProject, value: req.projectId },
      { key: NovaReservation, value: req.reservationId },
      { key: NovaStatus, value: 'admit' },
    ],
  });
}

/** What the Temporal server itself knows of a reservation (no worker needed): memo, stage, status. */
export async function describeReservation(
  client: Client,
  reservationId: string,
): Promise<
  { memo?: ReservationMemo; stage: unknown; running: boolean; raw: WorkflowExecutionDescription } | undefined
> {
  try {
    const d = await client.workflow.getHandle(reservationWorkflowId(reservationId)).describe();
    return {
      memo: d.memo as ReservationMemo | undefined,
      stage: d.typedSearchAttributes.get(NovaStatus),
      running: d.status.name === 'RUNNING',
      raw: d,
    };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The reservation's own record, by a query; undefined for one that does not exist. */
export async function reservationRecord(
  client: Client,
  reservationId: string,
): Promise<ReservationRecord | undefined> {
  try {
    return await client.workflow
      .getHandle(reservationWorkflowId(reservationId))
      .query(describeReservationQuery);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The servers a reservation has admitted and not started yet, by a query ([] when it cannot say). */
export function pendingServersOf(client: Client, reservationId: string): Promise<ServerRecord[]> {
  return client.workflow
    .getHandle(reservationWorkflowId(reservationId))
    .query(pendingServersQuery)
    .catch(() => []);
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
