import type { CountedResource, QuotaAnswer, QuotaLimits, QuotaReserveRequest, QuotaUsage } from './types';

/** The quota entity's rules: pure and deterministic, unit-tested without a server. */

/** Nova's refusal of one more unit of a counted resource. */
export const COUNTED_REFUSAL: Record<CountedResource, string> = {
  server_groups: 'Quota exceeded, too many server groups.',
  key_pairs: 'Quota exceeded, too many key pairs.',
};

/** How many more instances fit under one limit; Infinity when unlimited or the request takes none. */
function headroom(limit: number, used: number, per: number): number {
  if (limit < 0 || per === 0) return Infinity;
  return Math.max(0, Math.floor((limit - used) / per));
}

/**
 * Decides a reserve by Nova's rule: take max when it fits, else what fits when that is >= min, else
 * refuse with Nova's "Quota exceeded" text.
 */
export function decideReserve(limits: QuotaLimits, usage: QuotaUsage, req: QuotaReserveRequest): QuotaAnswer {
  const max = req.keys.length;
  const per = { instances: 1, cores: req.perInstance.cores, ram: req.perInstance.ram };
  const resources = ['instances', 'cores', 'ram'] as const;
  const room = Object.fromEntries(resources.map((r) => [r, headroom(limits[r], usage[r], per[r])])) as Record<
    (typeof resources)[number],
    number
  >;
  const allowed = Math.min(max, room.instances, room.cores, room.ram);
  if (allowed >= req.minCount) return { granted: allowed };
  const overs = resources.filter((r) => room[r] < req.minCount);
  const requested = (r: (typeof resources)[number]) =>
    req.minCount === max ? `${req.minCount * per[r]}` : `${req.minCount * per[r]}-${max * per[r]}`;
  return {
    refused:
      `Quota exceeded for ${overs.join(', ')}: Requested ${overs.map(requested).join(', ')}, ` +
      `but already used ${overs.map((r) => usage[r]).join(', ')} of ` +
      `${overs.map((r) => limits[r]).join(', ')} ${overs.join(', ')}`,
  };
}

/**
 * An answer as stored by any version: this shape, or the bare number (granted) or text (refused)
 * that entities, updates and memos wrote before it; undefined when there is none.
 */
export function readQuotaAnswer(stored: unknown): QuotaAnswer | undefined {
  if (typeof stored === 'number') return { granted: stored };
  if (typeof stored === 'string') return { refused: stored };
  if (stored && typeof stored === 'object') {
    const a = stored as Partial<Record<'granted' | 'refused', unknown>>;
    if (typeof a.granted === 'number') return { granted: a.granted };
    if (typeof a.refused === 'string') return { refused: a.refused };
  }
  return undefined;
}
