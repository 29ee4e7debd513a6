import type { Client } from '@temporalio/client';
import { quotaStartOperation } from '../../activities/quota-entity';
import { quotaStateQuery, setQuotaLimitsUpdate } from '../../common/messages';
import { quotaWorkflowId } from '../../common/names';
import type { QuotaLimits, QuotaState } from '../../common/types';
import { DEFAULT_QUOTA } from '../../common/types';

/** A project's limits and usage; a project that never created anything has the defaults and no usage. */
export async function getQuota(client: Client, projectId: string): Promise<QuotaState> {
  try {
    return await client.workflow.getHandle(quotaWorkflowId(projectId)).query(quotaStateQuery);
  } catch (err) {
    if ((err as Error)?.name !== 'WorkflowNotFoundError') throw err;
    return { projectId, limits: { ...DEFAULT_QUOTA }, usage: { instances: 0, cores: 0, ram: 0 } };
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
    startWorkflowOperation: quotaStartOperation(projectId),
  });
}
