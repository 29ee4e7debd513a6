import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { proxyActivities } from '@temporalio/workflow';
import { extensionInForce, stageHook } from '../../workflows/extensions';
import type { ScheduleInput, ScheduleResult } from '../../entities/reservation/stages';
import type { ServerGroupActivities } from './activities';
import { groupFilter, hostHintFilters, pickHints, SCHEDULER_HINTS_ALIAS } from './hints';

const { resolveServerGroup, joinServerGroup } = proxyActivities<ServerGroupActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '500ms', maximumInterval: '10s' },
});

/**
 * The schedule-stage hook: before `scheduleServers` it turns the request's hints into filters (and
 * reads the server group, one added step); after it, the placed servers join the group (another step).
 */
const schedulerHintsOutbound = stageHook('scheduleServers', async (args, call) => {
  if (!extensionInForce(SCHEDULER_HINTS_ALIAS)) return call(args);
  const schedule = args[0] as ScheduleInput;
  const hints = pickHints(schedule.extra);
  if (!hints) return call(args);
  const filters = hostHintFilters(hints);
  const groupId = typeof hints.group === 'string' ? hints.group : null;
  if (groupId) {
    const group = await resolveServerGroup({ groupId, projectId: schedule.projectId });
    if (!group) {
      const refused: ScheduleResult = {
        placements: {},
        noValidHost: `Server group ${groupId} could not be found.`,
      };
      return refused;
    }
    filters.push(groupFilter(group, schedule.serverIds));
  }
  const widened: ScheduleInput = { ...schedule, filters: [...schedule.filters, ...filters] };
  const result = (await call([widened])) as ScheduleResult;
  const placed = Object.keys(result.placements);
  if (groupId && placed.length > 0) await joinServerGroup({ groupId, serverIds: placed });
  return result;
});

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [schedulerHintsOutbound],
});
