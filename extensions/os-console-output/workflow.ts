import { conflict } from '../../common/errors';
import { callHost, type HostTarget } from '../workflow-host-call';
import type { ConsoleOutputComputeActivities, GetConsoleOutputInput } from './activities';

/** The host the server runs on (only its compute node can read the console), and what to read. */
export interface ConsoleOutputInput extends GetConsoleOutputInput, HostTarget {}

/**
 * One console read, answered by the server's own host. A node that does not pick it up in time is
 * a fast 409: the user cannot read the console now, and the message names no host (users must not
 * learn host names).
 */
export async function consoleOutputWorkflow({
  host,
  queue,
  serverId,
  length,
}: ConsoleOutputInput): Promise<string> {
  return callHost<ConsoleOutputComputeActivities, string>(
    { host, queue },
    (a) => a.getConsoleOutput({ serverId, length }),
    conflict(`Instance ${serverId} is not ready`),
  );
}
