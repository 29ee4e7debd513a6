import { notFound, notImplemented, toFailure } from '../../common/errors';
import type { VirtDriver } from '../../drivers/driver';
import { InstanceNotFound } from '../../drivers/driver';

/** One console read: the last `length` lines, all of them when null, none when 0 (as Nova). */
export interface GetConsoleOutputInput {
  serverId: string;
  length: number | null;
}

/** Activities os-console-output registers on every compute node, bound to that node's driver. */
export function createConsoleOutputComputeActivities({ driver }: { driver: VirtDriver }) {
  return {
    /** The instance's console log, from the driver's optional `console-output` capability. */
    async getConsoleOutput({ serverId, length }: GetConsoleOutputInput): Promise<string> {
      if (!driver.capabilities.has('console-output') || !driver.consoleOutput)
        throw toFailure(notImplemented('The requested functionality is not supported.'));
      try {
        // Drivers read a missing or non-positive length as "everything"; 0 still asks the driver so
        // an instance missing from this host is a 404 rather than an empty console.
        const text = await driver.consoleOutput(serverId, length && length > 0 ? length : undefined);
        return length === 0 ? '' : text;
      } catch (err) {
        // Deleted between the API's look-up and this call, or lost by the host: Nova answers 404.
        if (err instanceof InstanceNotFound)
          throw toFailure(notFound(`Instance ${serverId} could not be found.`));
        throw err;
      }
    },
  };
}

export type ConsoleOutputComputeActivities = ReturnType<typeof createConsoleOutputComputeActivities>;
