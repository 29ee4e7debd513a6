import { makeContinueAsNewFunc, metricMeter, setHandler } from '@temporalio/workflow';
import { WORKFLOW_METRICS } from '../../common/observability/workflow-metrics';
import { ADMISSION_TASK_QUEUE } from '../../common/names';
import {
  quotaStateQuery,
  releaseQuotaSignal,
  reserveBatchUpdate,
  reserveCountedUpdate,
  reserveQuotaUpdate,
  resetQuotaLimitsUpdate,
  setQuotaDefaultsSignal,
  setQuotaLimitsUpdate,
} from './messages';
import { untilContinueAsNew } from '../../workflows/entity';
import { COUNTED_REFUSAL, decideReserve, readQuotaAnswer } from './rules';
import type {
  CountedResource,
  QuotaAnswer,
  QuotaLimits,
  QuotaReserveRequest,
  QuotaState,
  QuotaUsage,
} from './types';
import { DEFAULT_QUOTA } from './types';
import { forbidden, toFailure } from '../../common/errors';

export interface QuotaWorkflowInput {
  projectId: string;
  /** The project's own limits (set by an admin); entities from before defaults were kept apart carry all of them. */
  limits?: Partial<QuotaLimits>;
  /** The defaults of the project's quota class, where the project has no limit of its own. */
  defaults?: Partial<QuotaLimits>;
  holdings?: Record<string, { cores: number; ram: number }>;
  /**
   * Reservations already answered, so asking again gets the same answer. Entities from before the
   * answer had its shape carry bare numbers and texts here: read with readQuotaAnswer.
   */
  answered?: Record<string, unknown>;
  /** Units of counted resources held, by key. */
  counted?: Record<string, CountedResource>;
}

/**
 * Answers kept for late askers (a reservation whose API call died asks within seconds): many times
 * what the busiest project is answered in that time, and small enough for the continue-as-new input.
 */
const ANSWERS_KEPT = 2000;

/**
 * quota/PROJECT: limits and usage of one project. Usage is the sum of what live servers hold, keyed by
 * server id, so a release is idempotent and nothing is counted twice.
 */
export async function quotaWorkflow(input: QuotaWorkflowInput): Promise<void> {
  const own: Partial<QuotaLimits> = { ...input.limits };
  const defaults: Partial<QuotaLimits> = { ...input.defaults };
  const limits: QuotaLimits = { ...DEFAULT_QUOTA, ...defaults, ...own };
  const recompute = () => Object.assign(limits, DEFAULT_QUOTA, defaults, own);
  const holdings = new Map(Object.entries(input.holdings ?? {}));
  const answered = new Map<string, QuotaAnswer>();
  for (const [id, stored] of Object.entries(input.answered ?? {})) {
    const a = readQuotaAnswer(stored);
    if (a) answered.set(id, a);
  }
  const counted = new Map(Object.entries(input.counted ?? {}));
  const counts = () => {
    const c: Partial<Record<CountedResource, number>> = {};
    for (const resource of counted.values()) c[resource] = (c[resource] ?? 0) + 1;
    return c;
  };

  const usage = (): QuotaUsage => {
    const u = { instances: 0, cores: 0, ram: 0 };
    for (const h of holdings.values()) {
      u.instances += 1;
      u.cores += h.cores;
      u.ram += h.ram;
    }
    return u;
  };
  const state = (): QuotaState => ({
    projectId: input.projectId,
    limits: { ...limits },
    usage: usage(),
    counts: counts(),
  });

  setHandler(quotaStateQuery, state);
  // Refusals are answers too: they are decided in a handler (not a validator) so they are recorded,
  // and whoever asks again for the same reservation (the API, the reservation itself, a retry) gets
  // the same answer even when quota was freed in between.
  const answer = (req: QuotaReserveRequest): QuotaAnswer => {
    const prior = answered.get(req.reservationId);
    if (prior !== undefined) return prior;
    const decided = decideReserve(limits, usage(), req);
    if ('refused' in decided) metricMeter.createCounter(WORKFLOW_METRICS.quotaRefusals).add(1);
    if ('granted' in decided)
      for (const key of req.keys.slice(0, decided.granted)) holdings.set(key, req.perInstance);
    answered.set(req.reservationId, decided);
    if (answered.size > ANSWERS_KEPT) answered.delete(answered.keys().next().value as string);
    return decided;
  };
  setHandler(reserveQuotaUpdate, (req) => {
    const decided = answer(req);
    if ('refused' in decided) throw toFailure(forbidden(decided.refused));
    return { allowed: decided.granted };
  });
  setHandler(reserveBatchUpdate, ({ requests }) => ({
    answers: Object.fromEntries(requests.map((req) => [req.reservationId, answer(req)])),
  }));
  // Decided in the handler, one at a time, so concurrent requests can never pass the limit together.
  setHandler(reserveCountedUpdate, ({ resource, key }) => {
    if (counted.has(key)) return;
    const limit = limits[resource];
    if (limit >= 0 && (counts()[resource] ?? 0) + 1 > limit)
      throw toFailure(forbidden(COUNTED_REFUSAL[resource]));
    counted.set(key, resource);
  });
  setHandler(releaseQuotaSignal, ({ keys }) => {
    for (const key of keys) {
      holdings.delete(key);
      counted.delete(key);
    }
  });
  setHandler(setQuotaLimitsUpdate, (patch) => {
    Object.assign(own, patch);
    recompute();
    return state();
  });
  // DELETE /os-quota-sets/{project}: back to the class defaults.
  setHandler(resetQuotaLimitsUpdate, () => {
    for (const k of Object.keys(own)) delete own[k as keyof QuotaLimits];
    recompute();
    return state();
  });
  setHandler(setQuotaDefaultsSignal, (next) => {
    for (const k of Object.keys(defaults)) delete defaults[k as keyof QuotaLimits];
    // Only the limits quota counts (a class also keeps Nova's network quotas, which nothing counts).
    for (const [k, v] of Object.entries(next)) if (k in DEFAULT_QUOTA) defaults[k as keyof QuotaLimits] = v;
    recompute();
  });

  await untilContinueAsNew();
  // The next run lives on the admission queue (entities started before it existed move there).
  await makeContinueAsNewFunc<typeof quotaWorkflow>({ taskQueue: ADMISSION_TASK_QUEUE })({
    projectId: input.projectId,
    limits: own,
    defaults,
    holdings: Object.fromEntries(holdings),
    answered: Object.fromEntries(answered),
    counted: Object.fromEntries(counted),
  });
}
