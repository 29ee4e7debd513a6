import { badRequest } from '../../common/errors';
import { callHost, type HostTarget } from '../workflow-host-call';
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
