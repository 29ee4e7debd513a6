import type { AllocationRatios } from '../../entities/host/types';
import type { HostCandidate } from './filters';
import { freeResources } from './filters';

/** spread: most free RAM first (Nova's default RAMWeigher); pack: least free RAM first. */
export type WeighStrategy = 'spread' | 'pack';

/** Orders hosts best first; ties go to the host name so a placement is reproducible. */
export function weigh(
  hosts: HostCandidate[],
  ratios: AllocationRatios,
  strategy: WeighStrategy,
): HostCandidate[] {
  const sign = strategy === 'spread' ? -1 : 1;
  return [...hosts].sort(
    (a, b) =>
      sign * (freeResources(a, ratios).ram - freeResources(b, ratios).ram) ||
      a.state.name.localeCompare(b.state.name),
  );
}
