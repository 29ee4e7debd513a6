import {
  ActivityFailure,
  proxyActivities,
  TimeoutFailure,
  type ActivityInterfaceFor,
} from '@temporalio/workflow';
import { toFailure, type NovaError } from '../common/errors';
import { computeTaskQueue } from '../common/names';
import { withHost } from '../entities/server/entity';

/** The host a call is for, and its task queue when it is not `compute/<host>` (a fleet's host). */
export interface HostTarget {
  host: string;
  queue?: string;
}

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
  { host, queue }: HostTarget,
  call: (activities: ActivityInterfaceFor<A>) => Promise<T>,
  unavailable: NovaError,
): Promise<T> {
  const proxies = proxyActivities<A>({
    taskQueue: queue ?? computeTaskQueue(host),
    scheduleToStartTimeout: HOST_PICKUP_TIMEOUT,
    startToCloseTimeout: '10 seconds',
    retry: { maximumAttempts: 1 },
  });
  // Every call names its host: a fleet's worker serves many hosts on one queue.
  const activities = withHost(proxies, host);
  try {
    return await call(activities);
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) throw toFailure(unavailable);
    throw err;
  }
}
