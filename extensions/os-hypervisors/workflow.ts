import { badRequest } from '../../common/errors';
import { callHost } from '../workflow-host-call';
import type { HypervisorComputeActivities } from './activities';

export interface HypervisorUptimeInput {
  host: string;
}

/** One uptime call, answered by the host's own compute node; a node that is down is a fast 400. */
export async function hypervisorUptimeWorkflow({ host }: HypervisorUptimeInput): Promise<string> {
  return callHost<HypervisorComputeActivities, string>(
    host,
    (a) => a.hypervisorUptime(),
    badRequest(`Compute service of ${host} is unavailable at this time.`),
  );
}
