import { condition, makeContinueAsNewFunc, setHandler, upsertMemo } from '@temporalio/workflow';
import { ADMISSION_TASK_QUEUE } from '../../common/names';
import { untilContinueAsNew } from '../../workflows/entity';
import { serviceHeartbeatSignal, serviceStateQuery } from './messages';
import type { ServiceState } from './types';

export interface ComputeServiceWorkflowInput {
  name: string;
  state?: ServiceState;
}

/**
 * compute-service/NAME: the liveness of one compute-node process, whatever number of hosts it serves.
 * Each heartbeat is published in the memo (`heartbeat`, and `hosts` when the set changed), so one
 * visibility listing tells the scheduler which hosts are up: a thousand hosts of a fleet cost one
 * signal per period, not a thousand.
 */
export async function computeServiceWorkflow(input: ComputeServiceWorkflowInput): Promise<void> {
  const state: ServiceState = input.state ?? { name: input.name, lastHeartbeat: 0, hosts: [] };
  let beat = true;
  let hostsChanged = true;
  setHandler(serviceStateQuery, () => state);
  setHandler(serviceHeartbeatSignal, ({ at, hosts }) => {
    state.lastHeartbeat = Math.max(state.lastHeartbeat, at);
    if (hosts) {
      const sorted = [...hosts].sort();
      if (sorted.join('\n') !== state.hosts.join('\n')) hostsChanged = true;
      state.hosts = sorted;
    }
    beat = true;
  });
  void (async () => {
    for (;;) {
      await condition(() => beat);
      upsertMemo(
        hostsChanged
          ? { heartbeat: state.lastHeartbeat, hosts: state.hosts }
          : { heartbeat: state.lastHeartbeat },
      );
      beat = false;
      hostsChanged = false;
    }
  })();
  await untilContinueAsNew();
  // On the admission queue: a service started on the control queue (before services moved) moves there.
  await makeContinueAsNewFunc<typeof computeServiceWorkflow>({ taskQueue: ADMISSION_TASK_QUEUE })({
    name: input.name,
    state,
  });
}
