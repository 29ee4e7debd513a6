import {
  ActivityFailure,
  proxyActivities,
  TimeoutFailure,
  type ActivityInterfaceFor,
} from '@temporalio/workflow';
import { toFailure, type NovaError } from '../common/errors';
import { computeTaskQueue } from '../common/names';

/** How long a host's compute node has to pick a call up before the host counts as unavailable. */
export const HOST_PICKUP_TIMEOUT = '5 seconds';

/**
 * Runs one call a client is waiting on against a host's own compute node, from a short workflow
 * (activities can only be scheduled from one). The activity goes to the host's task queue, so only
 * that node and its driver can answer; one attempt, since the caller is waiting and decides whether
 * to ask again; and a short schedule-to-start timeout, so a dead node fails fast with `unavailable`
 * instead of leaving the call queued until someone restarts it.
 */
export async function callHost<A, T>(
  host: string,
  call: (activities: ActivityInterfaceFor<A>) => Promise<T>,
  unavailable: NovaError,
): Promise<T> {
  const activities = proxyActivities<A>({
    taskQueue: computeTaskQueue(host),
    scheduleToStartTimeout: HOST_PICKUP_TIMEOUT,
    startToCloseTimeout: '10 seconds',
    retry: { maximumAttempts: 1 },
  });
  try {
    return await call(activities);
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) throw toFailure(unavailable);
    throw err;
  }
}
