import type { Client } from '@temporalio/client';
import { loadHostStates } from '../../entities/host/client';
import type { ResolvedGroup } from './hints';
import { addServerGroupMembersUpdate, describeServerGroupQuery, serverGroupWorkflowId } from './workflow';

/** Control-plane activities of the schedule hook: read a group before placing, record members after. */
export function createServerGroupActivities({ client }: { client: Client }) {
  return {
    /** The group with its members' current hosts, or null when the project has no such live group. */
    async resolveServerGroup(input: { groupId: string; projectId: string }): Promise<ResolvedGroup | null> {
      const group = await client.workflow
        .getHandle(serverGroupWorkflowId(input.groupId))
        .query(describeServerGroupQuery)
        .catch(() => null);
      if (!group || group.deleted || group.projectId !== input.projectId) return null;
      const states = await loadHostStates(client);
      const hosts = states
        .filter((s) => group.members.some((id) => s.allocations[id] !== undefined))
        .map((s) => s.name);
      return { id: group.id, policy: group.policy, members: group.members, hosts };
    },

    /** Placed servers join the group; a group deleted meanwhile simply keeps no members. */
    async joinServerGroup(input: { groupId: string; serverIds: string[] }): Promise<void> {
      await client.workflow
        .getHandle(serverGroupWorkflowId(input.groupId))
        .executeUpdate(addServerGroupMembersUpdate, { args: [{ serverIds: input.serverIds }] })
        .catch(() => undefined);
    },
  };
}

export type ServerGroupActivities = ReturnType<typeof createServerGroupActivities>;
