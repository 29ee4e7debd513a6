import { allHandlersFinished, condition, workflowInfo } from '@temporalio/workflow';

/** History length past which a long-lived entity starts a fresh run, well below Temporal's warnings. */
export const ENTITY_HISTORY_LIMIT = 4000;

/**
 * Waits until the entity's history is long enough to continue as new, then until every update and
 * signal handler has finished, so no message is lost across the new run.
 */
export async function untilContinueAsNew(): Promise<void> {
  await condition(
    () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > ENTITY_HISTORY_LIMIT,
  );
  await condition(allHandlersFinished);
}
