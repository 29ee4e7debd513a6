import { allHandlersFinished, condition, defineSignal, setHandler, workflowInfo } from '@temporalio/workflow';

/** History length past which a long-lived entity starts a fresh run, well below Temporal's warnings. */
export const ENTITY_HISTORY_LIMIT = 4000;

/**
 * Asks a long-lived entity to continue as new now: its next run starts on the task queue its code
 * names (entities started before they moved to the admission queue move on this signal).
 */
export const moveEntitySignal = defineSignal('moveEntity');

/**
 * Waits until the entity's history is long enough to continue as new (or it is asked to move), then
 * until every update and signal handler has finished, so no message is lost across the new run.
 */
export async function untilContinueAsNew(): Promise<void> {
  let moving = false;
  setHandler(moveEntitySignal, () => {
    moving = true;
  });
  await condition(
    () =>
      moving || workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > ENTITY_HISTORY_LIMIT,
  );
  await condition(allHandlersFinished);
}
