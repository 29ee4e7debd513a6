import type {
  ActivityInput,
  Next,
  WorkflowInterceptorsFactory,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { extensionInForce } from '../../workflows/extensions';
import type { ScheduleInput } from '../../entities/reservation/stages';

export const AGGREGATES_ALIAS = 'os-aggregates';

/**
 * The schedule-stage hook: every schedule also filters by the aggregates' tenant isolation. (Zones
 * need no hook: aggregates tell their hosts their zone, and the core's zone filter reads it.)
 */
class AggregatesOutbound implements WorkflowOutboundCallsInterceptor {
  async scheduleActivity(
    input: ActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>,
  ) {
    if (input.activityType !== 'scheduleServers' || !extensionInForce(AGGREGATES_ALIAS)) return next(input);
    const schedule = input.args[0] as ScheduleInput;
    const widened: ScheduleInput = {
      ...schedule,
      filters: [
        ...schedule.filters,
        { name: 'AggregateMultiTenancyIsolation', args: { projectId: schedule.projectId } },
      ],
    };
    return next({ ...input, args: [widened] });
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [new AggregatesOutbound()],
});
