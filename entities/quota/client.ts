import type { Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { isNotFound } from '../client-errors';
import type { UpdateDefinition } from '@temporalio/common';
import { forbidden, fromFailure, type NovaError } from '../../common/errors';
import {
  quotaStateQuery,
  reserveBatchUpdate,
  reserveCountedUpdate,
  reserveQuotaUpdate,
  QUOTA_CLASS_ID,
  resetQuotaLimitsUpdate,
  setQuotaClassUpdate,
  setQuotaLimitsUpdate,
} from './messages';
import { ADMISSION_TASK_QUEUE, CONTROL_TASK_QUEUE, quotaWorkflowId } from '../../common/names';
import { NovaKind, NovaProject } from '../../common/search-attributes';
import type {
  CountedReserveRequest,
  QuotaAnswer,
  QuotaBatchResult,
  QuotaLimits,
  QuotaReserveRequest,
  QuotaReserveResult,
  QuotaState,
} from './types';
import { DEFAULT_QUOTA } from './types';
import { readQuotaAnswer } from './rules';
import type { AwaitAdmissionInput, ReserveQuotaInput } from '../reservation/stages';
import type { quotaWorkflow } from './workflow';
import type { quotaClassWorkflow } from './class-workflow';

/**
 * The quota entity's client: the only code that starts `quota/<project>` or sends it updates, signals
 * and queries.
 */

/**
 * Starts a project's quota entity if it is missing, for an update-with-start: the entity is created
 * on first use, by whichever comes first of a create's admission or an admin's quota change.
 */
export function quotaStartOperation(projectId: string, defaults: Partial<QuotaLimits> = {}) {
  return new WithStartWorkflowOperation<typeof quotaWorkflow>('quotaWorkflow', {
    workflowId: quotaWorkflowId(projectId),
    taskQueue: ADMISSION_TASK_QUEUE,
    args: [{ projectId, defaults }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [
      { key: NovaKind, value: 'quota' },
      { key: NovaProject, value: projectId },
    ],
  });
}

/**
 * One update on a project's quota entity. A plain update when the entity runs (nearly always):
 * concurrent ones share its workflow tasks, where update-with-start is served one at a time. It is
 * started only when it is missing. A Nova fault comes back as a NovaError; anything else (the server
 * unreachable, a timeout) is thrown as it is, and the outcome is then unknown to the caller.
 */
async function updateQuota<Ret, Arg>(
  client: Client,
  projectId: string,
  update: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
  updateId: string,
): Promise<Ret> {
  try {
    try {
      return await client.workflow
        .getHandle(quotaWorkflowId(projectId))
        .executeUpdate(update, { args: [arg], updateId });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    // A project's first use (rare): its entity starts from the default class's limits.
    return await client.workflow.executeUpdateWithStart(update, {
      args: [arg],
      updateId,
      startWorkflowOperation: quotaStartOperation(projectId, await quotaClassDefaults(client)),
    });
  } catch (err) {
    throw (fromFailure(err) as NovaError | undefined) ?? err;
  }
}

/**
 * Reserves quota for one reservation. The update id is the reservation's, so a retry gets the first
 * answer; the entity also remembers answers by reservation, so asking after a batch answered it gives
 * that batch's answer. A refusal is Nova's 403 (a NovaError).
 */
export function reserveQuotaOn(client: Client, input: ReserveQuotaInput): Promise<QuotaReserveResult> {
  const { projectId, ...req } = input;
  return updateQuota(client, projectId, reserveQuotaUpdate, req, `reserve/${req.reservationId}`);
}

/**
 * Holds one unit of a counted resource (a server group, ...) under its key; Nova's 403 when the project
 * is at its limit. The update id is the key's, so asking again for the same key gets the same answer.
 */
export function reserveCountedOn(
  client: Client,
  projectId: string,
  req: CountedReserveRequest,
): Promise<void> {
  return updateQuota(client, projectId, reserveCountedUpdate, req, `counted/${req.key}`);
}

/** Decides several reservations of one project in one update (admission's group commit). */
export function reserveBatchOn(
  client: Client,
  projectId: string,
  updateId: string,
  requests: QuotaReserveRequest[],
): Promise<QuotaBatchResult> {
  return updateQuota(client, projectId, reserveBatchUpdate, { requests }, updateId);
}

/** How long a reservation waits for the update the API put it in before reserving for itself. */
const BATCH_ANSWER_WAIT_MS = 5_000;
/** First and longest pause between looks for an update the API has not sent yet. */
const BATCH_POLL_MS = { first: 50, max: 800 };

/** Runs `call` with every Temporal call in it abandoned (aborted, not left running) after `ms`. */
async function within<T>(client: Client, ms: number, call: () => Promise<T>): Promise<T> {
  return client.withAbortSignal(AbortSignal.timeout(Math.max(1, ms)), call);
}

/**
 * A reservation's own view of its admission: the answer the API's batched update gave it, read from
 * that update's outcome (no second decision, no workflow task on the quota entity). Should that update
 * never come (the API process died between starting the reservation and sending it), the reservation
 * reserves for itself; the entity answers by reservation, so both ways give one answer.
 */
export async function admissionAnswer(
  client: Client,
  input: AwaitAdmissionInput,
  waitMs = BATCH_ANSWER_WAIT_MS,
): Promise<QuotaReserveResult> {
  const { updateId, ...reserve } = input;
  if (updateId) {
    const update = client.workflow
      .getHandle(quotaWorkflowId(input.projectId))
      .getUpdateHandle<QuotaBatchResult>(updateId);
    const deadline = Date.now() + waitMs;
    let pause = BATCH_POLL_MS.first;
    while (Date.now() < deadline) {
      let answers: QuotaBatchResult['answers'];
      try {
        ({ answers } = await within(client, deadline - Date.now(), () => update.result()));
      } catch (err) {
        // Not sent yet (the API is still gathering it): look again shortly.
        if (isNotFound(err)) {
          await sleep(Math.min(pause, Math.max(0, deadline - Date.now())));
          pause = Math.min(pause * 2, BATCH_POLL_MS.max);
          continue;
        }
        break;
      }
      const answer = readQuotaAnswer(answers[input.reservationId]);
      if (answer === undefined) break;
      if ('refused' in answer) throw forbidden(answer.refused);
      return { allowed: answer.granted };
    }
  }
  return reserveQuotaOn(client, reserve);
}

/**
 * The answer a batched quota update gave one reservation, if that update has completed (a short look,
 * for readers that arrive before the reservation has read it itself); undefined when not known yet.
 */
export async function batchAnswer(
  client: Client,
  projectId: string,
  updateId: string,
  reservationId: string,
  waitMs = 2_000,
): Promise<QuotaAnswer | undefined> {
  try {
    const { answers } = await within(client, waitMs, () =>
      client.workflow
        .getHandle(quotaWorkflowId(projectId))
        .getUpdateHandle<QuotaBatchResult>(updateId)
        .result(),
    );
    return readQuotaAnswer(answers[reservationId]);
  } catch {
    return undefined;
  }
}

/** A project's limits and usage; a project that never created anything has the defaults and no usage. */
export async function getQuota(client: Client, projectId: string): Promise<QuotaState> {
  try {
    return await client.workflow.getHandle(quotaWorkflowId(projectId)).query(quotaStateQuery);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    const limits = { ...DEFAULT_QUOTA, ...(await quotaClassDefaults(client)) };
    return { projectId, limits, usage: { instances: 0, cores: 0, ram: 0 } };
  }
}

/** What the default quota class sets (its entity's memo), network quotas included. */
export async function quotaClassStored(client: Client): Promise<Record<string, number>> {
  try {
    const memo = (await client.workflow.getHandle(QUOTA_CLASS_ID).describe()).memo;
    return (memo?.defaults as Record<string, number> | undefined) ?? {};
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return {};
  }
}

/** The default quota class's limits that differ from the built-in defaults: what a project's entity starts from. */
export async function quotaClassDefaults(client: Client): Promise<Partial<QuotaLimits>> {
  const stored = await quotaClassStored(client);
  return Object.fromEntries(Object.entries(stored).filter(([k]) => k in DEFAULT_QUOTA));
}

/** Changes the default quota class: decided by its entity, then told to every project's entity. */
export function setQuotaClass(client: Client, patch: Partial<QuotaLimits>): Promise<Partial<QuotaLimits>> {
  return client.workflow.executeUpdateWithStart(setQuotaClassUpdate, {
    args: [patch],
    startWorkflowOperation: new WithStartWorkflowOperation<typeof quotaClassWorkflow>('quotaClassWorkflow', {
      workflowId: QUOTA_CLASS_ID,
      taskQueue: CONTROL_TASK_QUEUE,
      args: [{}],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
}

/** Forgets a project's own limits (its class defaults apply again); a project with no entity has none. */
export async function resetQuota(client: Client, projectId: string): Promise<void> {
  try {
    await client.workflow.getHandle(quotaWorkflowId(projectId)).executeUpdate(resetQuotaLimitsUpdate);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Sets limits, creating the project's quota entity if it has none yet. */
export async function setQuota(
  client: Client,
  projectId: string,
  patch: Partial<QuotaLimits>,
): Promise<QuotaState> {
  return client.workflow.executeUpdateWithStart(setQuotaLimitsUpdate, {
    args: [patch],
    startWorkflowOperation: quotaStartOperation(projectId, await quotaClassDefaults(client)),
  });
}
