import {
  ApplicationFailure,
  condition,
  makeContinueAsNewFunc,
  patched,
  setHandler,
  upsertMemo,
} from '@temporalio/workflow';
import { ADMISSION_TASK_QUEUE } from '../../common/names';
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
 * Runs that publish their state in the memo (`host`), so the scheduler reads every host in one
 * visibility listing; runs before it replay without.
 */
const HOST_MEMO = 'host-state-memo';

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
  const publishing = patched(HOST_MEMO);
  // Set by every change a plan depends on; published once per workflow task, however many changed.
  // A report that only says the host is still there changes nothing the memo carries.
  let changed = true;

  setHandler(hostStateQuery, () => state);
  setHandler(hostReportSignal, (report) => {
    if (
      JSON.stringify(report.inventory) !== JSON.stringify(state.inventory) ||
      (report.service ?? null) !== (state.service ?? null)
    )
      changed = true;
    state.inventory = report.inventory;
    if (report.service) state.service = report.service;
    else delete state.service;
    state.lastHeartbeat = Math.max(state.lastHeartbeat, report.at);
  });
  setHandler(
    claimUpdate,
    (req) => {
      const refusal = claimRefusal(state, req);
      if (refusal)
        throw ApplicationFailure.create({ type: CLAIM_REFUSED, message: refusal, nonRetryable: true });
      for (const { key, resources } of req.claims) state.allocations[key] = resources;
      changed = true;
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
    for (const key of keys) {
      if (key in state.allocations) changed = true;
      delete state.allocations[key];
    }
  });
  setHandler(setHostAttributesSignal, ({ source, attributes }) => {
    const all = (state.attributes ??= {});
    if (attributes) all[source] = attributes;
    else delete all[source];
    changed = true;
  });
  setHandler(setHostEnabledUpdate, ({ enabled, reason }) => {
    state.enabled = enabled;
    state.disabledReason = enabled ? null : reason;
    changed = true;
    return state;
  });

  if (publishing) {
    void (async () => {
      for (;;) {
        await condition(() => changed);
        changed = false;
        upsertMemo({ host: state });
      }
    })();
  }

  await untilContinueAsNew();
  // On the admission queue: a host started on the control queue (before hosts moved) moves there.
  await makeContinueAsNewFunc<typeof hostWorkflow>({ taskQueue: ADMISSION_TASK_QUEUE })({
    name: input.name,
    state,
  });
}
