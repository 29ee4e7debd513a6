import type { Client } from '@temporalio/client';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { CONTROL_TASK_QUEUE } from '../../common/names';
import { isNotFound } from '../../entities/client-errors';
import {
  AGGREGATES_ID,
  changeAggregateUpdate,
  listAggregatesQuery,
  type AggregateChange,
  type AggregateRecord,
} from './messages';
import type { aggregatesWorkflow } from './workflow';

/** The aggregates entity's client. */
export async function listAggregates(client: Client): Promise<AggregateRecord[]> {
  try {
    return await client.workflow.getHandle(AGGREGATES_ID).query(listAggregatesQuery);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

export function changeAggregate(client: Client, change: AggregateChange): Promise<AggregateRecord | null> {
  return client.workflow.executeUpdateWithStart(changeAggregateUpdate, {
    args: [{ ...change, at: new Date().toISOString().replace(/Z$/, '') }],
    startWorkflowOperation: new WithStartWorkflowOperation<typeof aggregatesWorkflow>('aggregatesWorkflow', {
      workflowId: AGGREGATES_ID,
      taskQueue: CONTROL_TASK_QUEUE,
      args: [{}],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
}
