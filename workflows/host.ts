import { ApplicationFailure, continueAsNew, setHandler } from '@temporalio/workflow';
import {
  claimUpdate,
  hostReportSignal,
  hostStateQuery,
  releaseClaimsSignal,
  setHostEnabledUpdate,
} from '../common/messages';
import type { ClaimRequest, HostInventory, HostState, Resources } from '../common/types';
import { untilContinueAsNew } from './entity';

export interface HostWorkflowInput {
  name: string;
  state?: HostState;
}

/** Resources in use on a host: the sum of its allocations. */
export function usedResources(allocations: Record<string, Resources>): Resources {
  const used = { vcpus: 0, ram: 0, disk: 0 };
  for (const r of Object.values(allocations)) {
    used.vcpus += r.vcpus;
    used.ram += r.ram;
    used.disk += r.disk;
  }
  return used;
}

/** Why a batch of claims cannot be taken, or null when all of it fits. */
export function claimRefusal(state: HostState, req: ClaimRequest): string | null {
  if (!state.inventory) return `host ${state.name} has not reported its inventory`;
  if (!state.enabled) return `host ${state.name} is disabled`;
  const inv: HostInventory = state.inventory;
  const used = usedResources(state.allocations);
  for (const { key, resources } of req.claims) {
    if (state.allocations[key]) continue;
    used.vcpus += resources.vcpus;
    used.ram += resources.ram;
    used.disk += resources.disk;
  }
  if (used.vcpus > inv.vcpus * req.ratios.cpu) return `host ${state.name} has too few vCPUs`;
  if (used.ram > inv.ram * req.ratios.ram) return `host ${state.name} has too little RAM`;
  if (used.disk > inv.disk * req.ratios.disk) return `host ${state.name} has too little disk`;
  return null;
}

/**
 * host/NAME: inventory, allocations, liveness and enabled flag of one compute host. Claims are
 * updates whose validator refuses what does not fit, so concurrent schedulers can never overbook it.
 */
export async function hostWorkflow(input: HostWorkflowInput): Promise<void> {
  const state: HostState = input.state ?? {
    name: input.name,
    inventory: null,
    enabled: true,
    disabledReason: null,
    lastHeartbeat: 0,
    allocations: {},
  };

  setHandler(hostStateQuery, () => state);
  setHandler(hostReportSignal, (report) => {
    state.inventory = report.inventory;
    state.lastHeartbeat = Math.max(state.lastHeartbeat, report.at);
  });
  setHandler(
    claimUpdate,
    (req) => {
      const refusal = claimRefusal(state, req);
      if (refusal)
        throw ApplicationFailure.create({ type: 'ClaimRefused', message: refusal, nonRetryable: true });
      for (const { key, resources } of req.claims) state.allocations[key] = resources;
    },
    {
      validator: (req) => {
        const refusal = claimRefusal(state, req);
        if (refusal)
          throw ApplicationFailure.create({ type: 'ClaimRefused', message: refusal, nonRetryable: true });
      },
    },
  );
  setHandler(releaseClaimsSignal, ({ keys }) => {
    for (const key of keys) delete state.allocations[key];
  });
  setHandler(setHostEnabledUpdate, ({ enabled, reason }) => {
    state.enabled = enabled;
    state.disabledReason = enabled ? null : reason;
    return state;
  });

  await untilContinueAsNew();
  await continueAsNew<typeof hostWorkflow>({ name: input.name, state });
}
