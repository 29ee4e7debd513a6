import {
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { ENTITY_HISTORY_LIMIT } from '../../workflows/entity';

/** Nova's two server-group policies. */
export type ServerGroupPolicy = 'affinity' | 'anti-affinity';

/** One server group, as its entity keeps it. */
export interface ServerGroupRecord {
  id: string;
  name: string;
  policy: ServerGroupPolicy;
  projectId: string;
  userId: string;
  /** Servers that were placed as members, in the order they joined. */
  members: string[];
  deleted: boolean;
}

/** Workflow id of a server group's entity. */
export function serverGroupWorkflowId(id: string): string {
  return `servergroup/${id}`;
}

export const describeServerGroupQuery = defineQuery<ServerGroupRecord>('describeServerGroup');
/** An update, not a signal: the schedule hook waits until the members are recorded. */
export const addServerGroupMembersUpdate = defineUpdate<ServerGroupRecord, [{ serverIds: string[] }]>(
  'addServerGroupMembers',
);
export const deleteServerGroupUpdate = defineUpdate<void>('deleteServerGroup');

/**
 * servergroup/<uuid>: a server group's policy and members, durable in Temporal like every other entity.
 * It ends when the group is deleted; a query still answers afterwards, with `deleted` set.
 */
export async function serverGroupWorkflow(initial: ServerGroupRecord): Promise<ServerGroupRecord> {
  const record: ServerGroupRecord = { ...initial, members: [...initial.members] };
  setHandler(describeServerGroupQuery, () => record);
  setHandler(addServerGroupMembersUpdate, ({ serverIds }) => {
    for (const id of serverIds) if (!record.members.includes(id)) record.members.push(id);
    return record;
  });
  setHandler(deleteServerGroupUpdate, () => {
    record.deleted = true;
  });
  await condition(() => record.deleted || workflowInfo().historyLength > ENTITY_HISTORY_LIMIT);
  if (record.deleted) return record;
  return continueAsNew<typeof serverGroupWorkflow>(record);
}
