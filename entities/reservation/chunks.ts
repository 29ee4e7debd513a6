import { getExternalWorkflowHandle } from '@temporalio/workflow';
import { hostWorkflowId } from '../../common/names';
import type { Placement } from '../../common/types';
import { releaseClaimsSignal } from '../host/messages';
import type { ScheduleResult } from './stages';

/**
 * Servers one schedule call plans and claims at most, and server entities one start call carries: a
 * request of ten thousand servers then sends payloads of a few hundred KB, far below Temporal's 2 MB
 * per payload (one call for all of them sent 648 KB at a thousand and could not go past ~3000).
 */
export const SCHEDULE_CHUNK = 1000;
export const START_CHUNK = 250;
/** Requests scheduled and started in chunks; runs before it replay with one call each. */
export const CHUNKED_STAGES = 'chunked-stages';

/**
 * Schedules a large request chunk by chunk in launch order, each chunk a schedule stage of its own
 * (extensions' hooks run on each). Only a prefix of the launch order may run: the first chunk not
 * placed whole ends it. Fewer than `minCount` placed in all means none: every claim made is given back.
 */
export async function scheduleInChunks(
  ids: string[],
  minCount: number,
  schedule: (ids: string[], min: number) => Promise<ScheduleResult>,
): Promise<ScheduleResult> {
  const placements: Record<string, Placement> = {};
  let placed = 0;
  let refusal: string | null = null;
  // Gives back the claims of the chunks placed so far: the request does not go on with them.
  const releaseAll = async () => {
    const byHost = new Map<string, string[]>();
    for (const [id, p] of Object.entries(placements)) byHost.set(p.host, [...(byHost.get(p.host) ?? []), id]);
    await Promise.all(
      [...byHost].map(([host, keys]) =>
        getExternalWorkflowHandle(hostWorkflowId(host)).signal(releaseClaimsSignal, { keys }),
      ),
    );
  };
  for (let i = 0; i < ids.length; i += SCHEDULE_CHUNK) {
    const chunk = ids.slice(i, i + SCHEDULE_CHUNK);
    let result: ScheduleResult;
    try {
      result = await schedule(chunk, Math.max(0, Math.min(chunk.length, minCount - placed)));
    } catch (err) {
      // A chunk that failed for good fails the stage: the earlier chunks' claims must not stay held.
      await releaseAll();
      throw err;
    }
    Object.assign(placements, result.placements);
    placed += Object.keys(result.placements).length;
    refusal = result.noValidHost;
    if (Object.keys(result.placements).length < chunk.length) break;
  }
  if (placed >= minCount) return { placements, noValidHost: null };
  await releaseAll();
  return {
    placements: {},
    noValidHost: `${placed} of ${ids.length} server(s) could be placed, ${minCount} needed: ${refusal ?? 'hosts refused the claims'}`,
  };
}
