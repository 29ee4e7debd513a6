import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { extensionInForce, stageHook } from '../../workflows/extensions';
import type { ScheduleInput } from '../../entities/reservation/stages';

export const AGGREGATES_ALIAS = 'os-aggregates';

/**
 * The schedule-stage hook: every schedule also filters by the aggregates' tenant isolation. (Zones
 * need no hook: aggregates tell their hosts their zone, and the core's zone filter reads it.)
 */
const aggregatesOutbound = stageHook('scheduleServers', (args, call) => {
  if (!extensionInForce(AGGREGATES_ALIAS)) return call(args);
  const schedule = args[0] as ScheduleInput;
  const widened: ScheduleInput = {
    ...schedule,
    filters: [
      ...schedule.filters,
      { name: 'AggregateMultiTenancyIsolation', args: { projectId: schedule.projectId } },
    ],
  };
  return call([widened]);
});

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [aggregatesOutbound],
});
