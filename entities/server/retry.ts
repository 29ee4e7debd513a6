import { failureMessage } from './action-log';
import { build } from './build';
import { control, type ServerEntity } from './entity';
import type { ServerActionRequest } from './messages';
import type { InstanceAction } from './types';

/**
 * Re-enters admission and scheduling for a server in ERROR, then builds it like a create. Quota is
 * re-checked only when this server gave it back (born failed); a refusal leaves it in ERROR.
 */
export async function retry(
  s: ServerEntity,
  entry: InstanceAction,
  caller: ServerActionRequest['caller'],
): Promise<void> {
  const { seed, log } = s;
  const event = log.begin(entry, 'conductor_schedule_and_build_instances', null);
  try {
    if (!s.holdsQuota) {
      await control.reserveQuota({
        projectId: seed.projectId,
        // One answer per retry request: the quota entity remembers answers by this id.
        reservationId: `${seed.reservationId}/retry/${seed.id}/${caller.requestId}`,
        keys: [seed.id],
        minCount: 1,
        perInstance: { cores: seed.flavor.vcpus, ram: seed.flavor.ram },
      });
      s.holdsQuota = true;
    }
    const { placements, noValidHost } = await control.scheduleServers({
      reservationId: seed.reservationId,
      projectId: seed.projectId,
      flavor: seed.flavor,
      serverIds: [seed.id],
      minCount: 1,
      availabilityZone: seed.availabilityZone,
      extra: seed.extra,
      filters: [],
      excludeHosts: [],
    });
    const placement = placements[seed.id];
    if (!placement) {
      const message = 'No valid host was found. There are not enough hosts available.';
      log.finish(entry, event, noValidHost ?? message);
      await s.releaseQuota();
      s.fail({ code: 500, message, details: noValidHost ?? undefined });
      return;
    }
    log.finish(entry, event);
    await build(s, placement, entry);
  } catch (err) {
    const { message } = failureMessage(err);
    log.finish(entry, event, message);
    s.fail({ code: /^Quota exceeded/.test(message) ? 403 : 500, message });
  }
  await s.reportBuilt();
}
