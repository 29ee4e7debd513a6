import {
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  sleep,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { ControlActivities } from '../../activities/control';
import { ENTITY_HISTORY_LIMIT } from '../../workflows/entity';
import { setQuotaClassUpdate } from './messages';
import type { QuotaLimits } from './types';

export interface QuotaClassInput {
  /** The default class's limits that differ from novaflow's built-in defaults. */
  defaults?: Partial<QuotaLimits>;
  /** A change not yet told to every quota entity when the previous run ended. */
  untold?: boolean;
}

/** How long after telling the quota entities they are told again: one born from a read just before the change hears it then. */
const TELL_AGAIN_AFTER = '10 seconds';

const { tellQuotaDefaults } = proxyActivities<ControlActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '1 minute' },
});

/**
 * quota-class/default: Nova's default quota class. A change is decided here (its memo is what a new
 * quota entity starts from, read by the API) and then told to every running quota entity — twice, the
 * second time after TELL_AGAIN_AFTER, for an entity started from a read made just before the change.
 */
export async function quotaClassWorkflow(input: QuotaClassInput = {}): Promise<void> {
  const defaults: Partial<QuotaLimits> = { ...input.defaults };
  let changes = input.untold ? 1 : 0;
  let told = 0;
  setHandler(setQuotaClassUpdate, (patch) => {
    Object.assign(defaults, patch);
    upsertMemo({ defaults: { ...defaults } });
    changes++;
    return { ...defaults };
  });
  const long = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > ENTITY_HISTORY_LIMIT;
  for (;;) {
    await condition(() => told < changes || long());
    if (told === changes) break;
    const upTo = changes;
    await tellQuotaDefaults({ ...defaults });
    await sleep(TELL_AGAIN_AFTER);
    await tellQuotaDefaults({ ...defaults });
    told = upTo;
  }
  await continueAsNew<typeof quotaClassWorkflow>({ defaults, untold: told < changes });
}
