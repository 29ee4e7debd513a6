import type { VirtDriver } from '../../../drivers/driver';
import type { BootStamp } from './stamp';

/** The example's compute-node activity: it runs on the host that just spawned the server. */
export function createBootStampActivities({ driver, host }: { driver: VirtDriver; host: string }) {
  return {
    async stampBoot({ serverId, note }: { serverId: string; note: string }): Promise<BootStamp> {
      const info = await driver.getInfo(serverId);
      return { host, note, running: info?.running ?? false, stampedAt: new Date().toISOString() };
    },
  };
}

export type BootStampActivities = ReturnType<typeof createBootStampActivities>;
