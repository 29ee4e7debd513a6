import { notImplemented, toFailure } from '../../common/errors';
import type { VirtDriver } from '../../drivers/driver';

/** Activities os-hypervisors registers on every compute node, bound to that node's driver. */
export function createHypervisorComputeActivities({ driver }: { driver: VirtDriver }) {
  return {
    /** The hypervisor's uptime line, from the driver's optional `uptime` capability. */
    async hypervisorUptime(): Promise<string> {
      if (!driver.capabilities.has('uptime') || !driver.uptime)
        throw toFailure(notImplemented('Virt driver does not implement host uptime function.'));
      return driver.uptime();
    },
  };
}

export type HypervisorComputeActivities = ReturnType<typeof createHypervisorComputeActivities>;
