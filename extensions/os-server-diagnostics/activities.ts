import { notFound, toFailure } from '../../common/errors';
import type { VirtDriver } from '../../drivers/driver';

/** What the host knows of one instance for Nova's diagnostics. */
export interface InstanceDiagnostics {
  /** Nova's diagnostics state: `running` or `shutdown`. */
  state: 'running' | 'shutdown';
  /** Seconds since the guest booted, when the driver knows. */
  uptime: number | null;
  driver: string;
  hypervisor: string;
}

/** Activities os-server-diagnostics registers on every compute node, bound to that node's driver. */
export function createDiagnosticsComputeActivities({ driver }: { driver: VirtDriver }) {
  return {
    async getServerDiagnostics({ serverId }: { serverId: string }): Promise<InstanceDiagnostics> {
      const info = await driver.getInfo(serverId);
      if (!info) throw toFailure(notFound(`Instance ${serverId} could not be found.`));
      return {
        state: info.running ? 'running' : 'shutdown',
        uptime: info.running ? (info.uptimeSeconds ?? null) : null,
        driver: driver.name,
        hypervisor: driver.inventory().hypervisorType.toLowerCase(),
      };
    },
  };
}

export type DiagnosticsComputeActivities = ReturnType<typeof createDiagnosticsComputeActivities>;
