import type { Client } from '@temporalio/client';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { CONTROL_TASK_QUEUE } from '../../common/names';
import { notFound } from '../../common/errors';
import { isNotFound } from '../../entities/client-errors';
import {
  addKeypairUpdate,
  deleteKeypairUpdate,
  keypairsWorkflowId,
  listKeypairsQuery,
  type KeypairRecord,
} from './messages';
import type { keypairsWorkflow } from './workflow';

/** The key pairs entity's client: a user's key pairs (none before their first). */
export async function listKeypairs(client: Client, userId: string): Promise<KeypairRecord[]> {
  try {
    return await client.workflow.getHandle(keypairsWorkflowId(userId)).query(listKeypairsQuery);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

export async function findKeypair(
  client: Client,
  userId: string,
  name: string,
): Promise<KeypairRecord | undefined> {
  return (await listKeypairs(client, userId)).find((k) => k.name === name);
}

export function addKeypair(client: Client, fields: Omit<KeypairRecord, 'id'>): Promise<KeypairRecord> {
  return client.workflow.executeUpdateWithStart(addKeypairUpdate, {
    args: [fields],
    startWorkflowOperation: new WithStartWorkflowOperation<typeof keypairsWorkflow>('keypairsWorkflow', {
      workflowId: keypairsWorkflowId(fields.user_id),
      taskQueue: CONTROL_TASK_QUEUE,
      args: [{ userId: fields.user_id }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
}

export async function deleteKeypair(client: Client, userId: string, name: string): Promise<void> {
  try {
    await client.workflow
      .getHandle(keypairsWorkflowId(userId))
      .executeUpdate(deleteKeypairUpdate, { args: [{ name }] });
  } catch (err) {
    if (isNotFound(err)) throw notFound(`Keypair ${name} not found for user ${userId}`);
    throw err;
  }
}
