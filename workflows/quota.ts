import { ApplicationFailure, continueAsNew, setHandler } from '@temporalio/workflow';
import {
  quotaStateQuery,
  releaseQuotaSignal,
  reserveQuotaUpdate,
  setQuotaLimitsUpdate,
} from '../common/messages';
import type { QuotaLimits, QuotaReserveRequest, QuotaState, QuotaUsage } from '../common/types';
import { DEFAULT_QUOTA } from '../common/types';
import { untilContinueAsNew } from './entity';

export interface QuotaWorkflowInput {
  projectId: string;
  limits?: Partial<QuotaLimits>;
  holdings?: Record<string, { cores: number; ram: number }>;
  /** Reservations already answered, so a retried reserve gets the same answer. */
  answered?: Record<string, number>;
}

const ANSWERS_KEPT = 500;

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

  const usage = (): QuotaUsage => {
    const u = { instances: 0, cores: 0, ram: 0 };
    for (const h of holdings.values()) {
      u.instances += 1;
      u.cores += h.cores;
      u.ram += h.ram;
    }
    return u;
  };
  const state = (): QuotaState => ({ projectId: input.projectId, limits: { ...limits }, usage: usage() });

  setHandler(quotaStateQuery, state);
  setHandler(
    reserveQuotaUpdate,
    (req) => {
      const prior = answered.get(req.reservationId);
      if (prior !== undefined) return { allowed: prior };
      const allowed = decideReserve(limits, usage(), req);
      for (const key of req.keys.slice(0, allowed)) holdings.set(key, req.perInstance);
      answered.set(req.reservationId, allowed);
      if (answered.size > ANSWERS_KEPT) answered.delete(answered.keys().next().value as string);
      return { allowed };
    },
    {
      validator: (req) => {
        if (!answered.has(req.reservationId)) decideReserve(limits, usage(), req);
      },
    },
  );
  setHandler(releaseQuotaSignal, ({ keys }) => {
    for (const key of keys) holdings.delete(key);
  });
  setHandler(setQuotaLimitsUpdate, (patch) => {
    Object.assign(limits, patch);
    return state();
  });

  await untilContinueAsNew();
  await continueAsNew<typeof quotaWorkflow>({
    projectId: input.projectId,
    limits,
    holdings: Object.fromEntries(holdings),
    answered: Object.fromEntries(answered),
  });
}
