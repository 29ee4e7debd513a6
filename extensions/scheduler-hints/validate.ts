import type { CreateValidator } from '../../api/app';
import { badRequest } from '../../common/errors';
import { pickHints } from './hints';
import { describeServerGroupQuery, serverGroupWorkflowId } from './workflow';

/**
 * Refuses a create whose `group` hint names no server group of the caller's project, before anything
 * starts (Nova answers 400 here too).
 */
export const validateGroupHint: CreateValidator = async (deps, caller, request) => {
  const groupId = pickHints(request.extra)?.group;
  if (!groupId) return;
  const group = await deps.client.workflow
    .getHandle(serverGroupWorkflowId(groupId))
    .query(describeServerGroupQuery)
    .catch(() => null);
  if (!group || group.deleted || (!caller.isAdmin && group.projectId !== caller.projectId)) {
    throw badRequest(`Instance group ${groupId} could not be found.`);
  }
};
