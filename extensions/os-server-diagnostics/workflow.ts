import { conflict } from '../../common/errors';
import { callHost } from '../workflow-host-call';
import type { DiagnosticsComputeActivities, InstanceDiagnostics } from './activities';

/** One diagnostics read, answered by the server's own host (409 when its node does not pick it up). */
export async function serverDiagnosticsWorkflow({
  host,
  serverId,
}: {
  host: string;
  serverId: string;
}): Promise<InstanceDiagnostics> {
  return callHost<DiagnosticsComputeActivities, InstanceDiagnostics>(
    host,
    (a) => a.getServerDiagnostics({ serverId }),
    conflict(`Instance ${serverId} is not ready`),
  );
}
