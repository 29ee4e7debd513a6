import { conflict } from '../../common/errors';
import { callHost, type HostTarget } from '../workflow-host-call';
import type { DiagnosticsComputeActivities, InstanceDiagnostics } from './activities';

/** One diagnostics read, answered by the server's own host (409 when its node does not pick it up). */
export async function serverDiagnosticsWorkflow({
  host,
  queue,
  serverId,
}: HostTarget & { serverId: string }): Promise<InstanceDiagnostics> {
  return callHost<DiagnosticsComputeActivities, InstanceDiagnostics>(
    { host, queue },
    (a) => a.getServerDiagnostics({ serverId }),
    conflict(`Instance ${serverId} is not ready`),
  );
}
