import { WorkflowNotFoundError } from '@temporalio/client';

/** Whether a client call failed because the workflow does not exist (by class, or by name across copies of the SDK). */
export function isNotFound(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError || (err as Error)?.name === 'WorkflowNotFoundError';
}

/** A completed workflow refuses updates; the client reports it like a missing one or by this text. */
export function isClosed(err: unknown): boolean {
  return isNotFound(err) || /already completed/i.test(String((err as Error)?.message));
}
