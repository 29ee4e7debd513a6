import { proxyActivities } from '@temporalio/workflow';
import { badRequest } from '../../common/errors';
import { FLEET_CALL, type FleetCallInput, type FleetCallResult } from '../../common/fleet-call';
import { callHost, HOST_PICKUP_TIMEOUT, type HostTarget } from '../workflow-host-call';
import type { HypervisorComputeActivities } from './activities';

export type HypervisorUptimeInput = HostTarget;

/** One uptime call, answered by the host's own compute node; a node that is down is a fast 400. */
export async function hypervisorUptimeWorkflow({ host, queue }: HypervisorUptimeInput): Promise<string> {
  return callHost<HypervisorComputeActivities, string>(
    { host, queue },
    (a) => a.hypervisorUptime(),
    badRequest(`Compute service of ${host} is unavailable at this time.`),
  );
}

/** Hosts whose uptimes a list shows, grouped by the task queue that serves them. */
export interface HypervisorUptimesInput {
  groups: { queue?: string; hosts: string[] }[];
}

/**
 * The uptime of every host a list shows, in one workflow: a host alone on its queue is asked as
 * `hypervisorUptime` asks it; the hosts of one fleet are asked in one task (`fleetCall`), so a list
 * of a thousand fleet hosts costs one activity, not a thousand workflows. A host that cannot say
 * (down, no `uptime` capability) reads null, as in the list before.
 */
export async function hypervisorUptimesWorkflow({
  groups,
}: HypervisorUptimesInput): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  await Promise.all(
    groups.map(async ({ queue, hosts }) => {
      if (hosts.length === 1) {
        const [host] = hosts;
        out[host] = await callHost<HypervisorComputeActivities, string>(
          { host, queue },
          (a) => a.hypervisorUptime(),
          badRequest(`Compute service of ${host} is unavailable at this time.`),
        ).catch(() => null);
        return;
      }
      const fleet = proxyActivities<
        Record<typeof FLEET_CALL, (input: FleetCallInput) => Promise<FleetCallResult>>
      >({
        taskQueue: queue!,
        scheduleToStartTimeout: HOST_PICKUP_TIMEOUT,
        startToCloseTimeout: '30 seconds',
        retry: { maximumAttempts: 1 },
      });
      const answers = await fleet[FLEET_CALL]({ activity: 'hypervisorUptime', hosts }).catch(
        () => ({}) as FleetCallResult,
      );
      for (const host of hosts) {
        const a = answers[host];
        out[host] = a && 'value' in a && typeof a.value === 'string' ? a.value : null;
      }
    }),
  );
  return out;
}
