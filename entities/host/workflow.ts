import { ApplicationFailure, continueAsNew, setHandler } from '@temporalio/workflow';
import { untilContinueAsNew } from '../../workflows/entity';
import {
  claimUpdate,
  hostReportSignal,
  hostStateQuery,
  releaseClaimsSignal,
  setHostAttributesSignal,
  setHostEnabledUpdate,
} from './messages';
import { CLAIM_REFUSED, claimRefusal } from './rules';
import type { HostState } from './types';

export interface HostWorkflowInput {
  name: string;
  state?: HostState;
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
        throw ApplicationFailure.create({ type: CLAIM_REFUSED, message: refusal, nonRetryable: true });
      for (const { key, resources } of req.claims) state.allocations[key] = resources;
    },
    {
      validator: (req) => {
        const refusal = claimRefusal(state, req);
        if (refusal)
          throw ApplicationFailure.create({ type: CLAIM_REFUSED, message: refusal, nonRetryable: true });
      },
    },
  );
  setHandler(releaseClaimsSignal, ({ keys }) => {
    for (const key of keys) delete state.allocations[key];
  });
  setHandler(setHostAttributesSignal, ({ source, attributes }) => {
    const all = (state.attributes ??= {});
    if (attributes) all[source] = attributes;
    else delete all[source];
  });
  setHandler(setHostEnabledUpdate, ({ enabled, reason }) => {
    state.enabled = enabled;
    state.disabledReason = enabled ? null : reason;
    return state;
  });

  await untilContinueAsNew();
  await continueAsNew<typeof hostWorkflow>({ name: input.name, state });
}
