import {
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ControlActivities } from '../../activities/control';
import { releaseQuotaSignal } from '../../entities/quota/messages';
import { failureMessage } from '../../entities/server/action-log';
import { quotaWorkflowId } from '../../common/names';
import { ENTITY_HISTORY_LIMIT } from '../../workflows/entity';

const { reserveCounted } = proxyActivities<ControlActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200ms', maximumInterval: '5s', maximumAttempts: 10 },
});

/** Groups started before they counted against quota replay without it. */
const GROUP_QUOTA = 'server-group-quota';

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
  /** Whether the group holds its unit of the project's server_groups quota (given back on delete). */
  holdsQuota?: boolean;
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
 * Sent with the start: answers once the group holds its unit of quota, or fails with Nova's 403 (the
 * group then ends, deleted). The group reserves for itself, so quota always has an owner.
 */
export const admitServerGroupUpdate = defineUpdate<ServerGroupRecord>('admitServerGroup');

/**
 * servergroup/<uuid>: a server group's policy and members, durable in Temporal like every other entity.
 * It ends when the group is deleted; a query still answers afterwards, with `deleted` set.
 */
export async function serverGroupWorkflow(initial: ServerGroupRecord): Promise<ServerGroupRecord> {
  const record: ServerGroupRecord = { ...initial, members: [...initial.members] };
  let refusal: { type: string; message: string } | undefined;
  let decided = record.holdsQuota === true;
  setHandler(admitServerGroupUpdate, async () => {
    await condition(() => decided);
    if (refusal) throw ApplicationFailure.create({ ...refusal, nonRetryable: true });
    return record;
  });
  setHandler(describeServerGroupQuery, () => record);
  setHandler(addServerGroupMembersUpdate, ({ serverIds }) => {
    for (const id of serverIds) if (!record.members.includes(id)) record.members.push(id);
    return record;
  });
  setHandler(deleteServerGroupUpdate, () => {
    record.deleted = true;
  });
  if (!decided && patched(GROUP_QUOTA)) {
    try {
      await reserveCounted({ projectId: record.projectId, resource: 'server_groups', key: record.id });
      record.holdsQuota = true;
    } catch (err) {
      const cause = failureMessage(err);
      refusal =
        cause.type === 'forbidden'
          ? { type: 'forbidden', message: cause.message }
          : { type: 'serviceUnavailable', message: 'The server group could not be created now; try again.' };
      record.deleted = true;
    }
  }
  decided = true;
  await condition(() => record.deleted || workflowInfo().historyLength > ENTITY_HISTORY_LIMIT);
  if (record.deleted) {
    if (record.holdsQuota) {
      await getExternalWorkflowHandle(quotaWorkflowId(record.projectId)).signal(releaseQuotaSignal, {
        keys: [record.id],
      });
      record.holdsQuota = false;
    }
    return record;
  }
  return continueAsNew<typeof serverGroupWorkflow>(record);
}
