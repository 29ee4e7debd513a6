import type { Client } from '@temporalio/client';
import { CONTROL_TASK_QUEUE } from '../common/names';
import { eq, oneOf, visibilityQuery } from '../common/visibility';
import { moveEntitySignal } from '../workflows/entity';
import { isNotFound } from './client-errors';

/**
 * The core's entities that run on the admission queue (quota entities always did): hosts, which a
 * schedule claims on, and compute services, whose liveness a schedule may query.
 */
export const CORE_ADMISSION_ENTITIES = ['hostWorkflow', 'computeServiceWorkflow'];

/**
 * Moves running entities of these workflow types that an older release started on the control queue
 * to the admission queue: each continues as new there (its state carried over, no message lost).
 * Answers how many it asked. A run that ended meanwhile is skipped.
 */
export async function moveToAdmissionQueue(client: Client, types: string[]): Promise<number> {
  if (types.length === 0) return 0;
  const query = visibilityQuery(
    eq('ExecutionStatus', 'Running'),
    eq('TaskQueue', CONTROL_TASK_QUEUE),
    oneOf('WorkflowType', types),
  );
  let moved = 0;
  for await (const w of client.workflow.list({ query })) {
    try {
      await client.workflow.getHandle(w.workflowId, w.runId).signal(moveEntitySignal);
      moved++;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return moved;
}
