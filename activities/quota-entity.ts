import { WithStartWorkflowOperation } from '@temporalio/client';
import { CONTROL_TASK_QUEUE, quotaWorkflowId } from '../common/names';
import { NovaKind, NovaProject } from '../common/search-attributes';

/**
 * Starts a project's quota entity if it is missing, for an update-with-start: the entity is created
 * on first use, by whichever comes first of a create's admission or an admin's quota change.
 */
export function quotaStartOperation(projectId: string) {
  return new WithStartWorkflowOperation('quotaWorkflow', {
    workflowId: quotaWorkflowId(projectId),
    taskQueue: CONTROL_TASK_QUEUE,
    args: [{ projectId }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [
      { key: NovaKind, value: 'quota' },
      { key: NovaProject, value: projectId },
    ],
  });
}
