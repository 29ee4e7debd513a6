import { ActivityFailure, ApplicationFailure, proxyActivities, TimeoutFailure } from '@temporalio/workflow';
import { computeTaskQueue } from '../../common/names';
import type { HypervisorComputeActivities } from './activities';

/** How long the host's compute node has to pick the call up before we call the host unavailable. */
export const UPTIME_PICKUP_TIMEOUT = '5 seconds';

export interface HypervisorUptimeInput {
  host: string;
}

/**
 * One uptime call: the activity runs on that host's own task queue, so only its compute node (and
 * its driver) can answer. A workflow because activities can only be scheduled from one; short lived,
 * no retries: the caller is waiting and a down host must fail fast, not queue.
 */
export async function hypervisorUptimeWorkflow({ host }: HypervisorUptimeInput): Promise<string> {
  const { hypervisorUptime } = proxyActivities<HypervisorComputeActivities>({
    taskQueue: computeTaskQueue(host),
    scheduleToStartTimeout: UPTIME_PICKUP_TIMEOUT,
    startToCloseTimeout: '10 seconds',
    retry: { maximumAttempts: 1 },
  });
  try {
    return await hypervisorUptime();
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) {
      throw ApplicationFailure.create({
        type: 'badRequest',
        message: `Compute service of ${host} is unavailable at this time.`,
        nonRetryable: true,
      });
    }
    throw err;
  }
}
