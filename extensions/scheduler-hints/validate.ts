import type { CreateValidator } from '../types';
import { getQuota } from '../../entities/quota/client';
import { badRequest, forbidden } from '../../common/errors';
import { withLiveMembers } from './members';
import { pickHints } from './hints';
import { describeServerGroupQuery, serverGroupWorkflowId } from './workflow';

/**
 * Refuses a create whose `group` hint names no server group of the caller's project (400, as Nova),
 * or that would take the group past the project's server_group_members quota (403), before anything
 * starts.
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
  // Nova's server_group_members quota: the group's live members plus this request's servers.
  const { limits } = await getQuota(deps.client, group.projectId);
  if (limits.server_group_members < 0) return;
  const { members } = await withLiveMembers(deps.client, group);
  if (members.length + request.maxCount > limits.server_group_members)
    throw forbidden('Quota exceeded, too many servers in group');
};
