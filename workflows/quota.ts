import { ApplicationFailure, makeContinueAsNewFunc, setHandler } from '@temporalio/workflow';
import { ADMISSION_TASK_QUEUE } from '../common/names';
import {
  quotaStateQuery,
  releaseQuotaSignal,
  reserveBatchUpdate,
  reserveCountedUpdate,
  reserveQuotaUpdate,
  setQuotaLimitsUpdate,
} from '../common/messages';
import type {
  CountedResource,
  QuotaLimits,
  QuotaReserveRequest,
  QuotaState,
  QuotaUsage,
} from '../common/types';
import { DEFAULT_QUOTA } from '../common/types';
import { untilContinueAsNew } from './entity';

export interface QuotaWorkflowInput {
  projectId: string;
  limits?: Partial<QuotaLimits>;
  holdings?: Record<string, { cores: number; ram: number }>;
  /** Reservations already answered (servers allowed, or the refusal's text), so asking again gets the same answer. */
  answered?: Record<string, number | string>;
  /** Units of counted resources held, by key. */
  counted?: Record<string, CountedResource>;
}

/** Nova's refusal of one more unit of a counted resource. */
const COUNTED_REFUSAL: Record<CountedResource, string> = {
  server_groups: 'Quota exceeded, too many server groups.',
  key_pairs: 'Quota exceeded, too many key pairs.',
};

/**
 * Answers kept for late askers (a reservation whose API call died asks within seconds): many times
 * what the busiest project is answered in that time, and small enough for the continue-as-new input.
 */
const ANSWERS_KEPT = 2000;

/** How many more instances fit under one limit; Infinity when unlimited or the request takes none. */
function headroom(limit: number, used: number, per: number): number {
  if (limit < 0 || per === 0) return Infinity;
  return Math.max(0, Math.floor((limit - used) / per));
}

/**
 * Decides a reserve by Nova's rule: take max when it fits, else what fits when that is >= min, else
 * refuse with Nova's "Quota exceeded" text.
 */
export function decideReserve(limits: QuotaLimits, usage: QuotaUsage, req: QuotaReserveRequest): number {
  const max = req.keys.length;
  const per = { instances: 1, cores: req.perInstance.cores, ram: req.perInstance.ram };
  const resources = ['instances', 'cores', 'ram'] as const;
  const room = Object.fromEntries(resources.map((r) => [r, headroom(limits[r], usage[r], per[r])])) as Record<
    (typeof resources)[number],
    number
  >;
  const allowed = Math.min(max, room.instances, room.cores, room.ram);
  if (allowed >= req.minCount) return allowed;
  const overs = resources.filter((r) => room[r] < req.minCount);
  const requested = (r: (typeof resources)[number]) =>
    req.minCount === max ? `${req.minCount * per[r]}` : `${req.minCount * per[r]}-${max * per[r]}`;
  throw ApplicationFailure.create({
    type: 'forbidden',
    nonRetryable: true,
    message:
      `Quota exceeded for ${overs.join(', ')}: Requested ${overs.map(requested).join(', ')}, ` +
      `but already used ${overs.map((r) => usage[r]).join(', ')} of ` +
      `${overs.map((r) => limits[r]).join(', ')} ${overs.join(', ')}`,
  });
}

/**
 * quota/PROJECT: limits and usage of one project. Usage is the sum of what live servers hold, keyed by
 * server id, so a release is idempotent and nothing is counted twice.
 */
export async function quotaWorkflow(input: QuotaWorkflowInput): Promise<void> {
  const limits: QuotaLimits = { ...DEFAULT_QUOTA, ...input.limits };
  const holdings = new Map(Object.entries(input.holdings ?? {}));
  const answered = new Map(Object.entries(input.answered ?? {}));
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
  const answer = (req: QuotaReserveRequest): number | string => {
    const prior = answered.get(req.reservationId);
    if (prior !== undefined) return prior;
    let allowed: number | string;
    try {
      allowed = decideReserve(limits, usage(), req);
      for (const key of req.keys.slice(0, allowed)) holdings.set(key, req.perInstance);
    } catch (err) {
      allowed = (err as Error).message;
    }
    answered.set(req.reservationId, allowed);
    if (answered.size > ANSWERS_KEPT) answered.delete(answered.keys().next().value as string);
    return allowed;
  };
  setHandler(reserveQuotaUpdate, (req) => {
    const allowed = answer(req);
    if (typeof allowed === 'string')
      throw ApplicationFailure.create({ type: 'forbidden', nonRetryable: true, message: allowed });
    return { allowed };
  });
  setHandler(reserveBatchUpdate, ({ requests }) => ({
    answers: Object.fromEntries(requests.map((req) => [req.reservationId, answer(req)])),
  }));
  // Decided in the handler, one at a time, so concurrent requests can never pass the limit together.
  setHandler(reserveCountedUpdate, ({ resource, key }) => {
    if (counted.has(key)) return;
    const limit = limits[resource];
    if (limit >= 0 && (counts()[resource] ?? 0) + 1 > limit)
      throw ApplicationFailure.create({
        type: 'forbidden',
        nonRetryable: true,
        message: COUNTED_REFUSAL[resource],
      });
    counted.set(key, resource);
  });
  setHandler(releaseQuotaSignal, ({ keys }) => {
    for (const key of keys) {
      holdings.delete(key);
      counted.delete(key);
    }
  });
  setHandler(setQuotaLimitsUpdate, (patch) => {
    Object.assign(limits, patch);
    return state();
  });

  await untilContinueAsNew();
  // The next run lives on the admission queue (entities started before it existed move there).
  await makeContinueAsNewFunc<typeof quotaWorkflow>({ taskQueue: ADMISSION_TASK_QUEUE })({
    projectId: input.projectId,
    limits,
    holdings: Object.fromEntries(holdings),
    answered: Object.fromEntries(answered),
    counted: Object.fromEntries(counted),
  });
}
