import type { AllocationRatios } from '../../entities/host/types';
import type { HostCandidate } from './filters';
import { freeResources } from './filters';

/** spread: most free RAM first (Nova's default RAMWeigher); pack: least free RAM first. */
export type WeighStrategy = 'spread' | 'pack';

/** Whether `a` ranks before `b`: free RAM (most first to spread, least first to pack), then the name. */
export function ranksBefore(
  a: HostCandidate,
  b: HostCandidate,
  ratios: AllocationRatios,
  strategy: WeighStrategy,
): boolean {
  const sign = strategy === 'spread' ? -1 : 1;
  const d = sign * (freeResources(a, ratios).ram - freeResources(b, ratios).ram);
  return d !== 0 ? d < 0 : a.state.name < b.state.name;
}

/** Orders hosts best first; ties go to the host name (code-unit order) so a placement is reproducible. */
export function weigh(
  hosts: HostCandidate[],
  ratios: AllocationRatios,
  strategy: WeighStrategy,
): HostCandidate[] {
  return [...hosts].sort((a, b) => (ranksBefore(a, b, ratios, strategy) ? -1 : 1));
}
