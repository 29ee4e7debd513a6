import { CancellationScope, isCancellation, metricMeter, patched } from '@temporalio/workflow';
import { WORKFLOW_METRICS } from '../../common/observability/workflow-metrics';
import { BUILD_ABORT } from '../../common/errors';
import type { Placement } from '../../common/types';
import { flavorResources } from '../reservation/stages';
import { failureMessage, nowIso } from './action-log';
import { claimed, computeOn, type ServerEntity } from './entity';
import type { InstanceAction } from './types';
import { PowerState } from './types';

/** Servers deleted before their build began leak no claim (histories before this replay without it). */
const RELEASE_UNBUILT_CLAIM = 'release-claim-of-unbuilt-server';

/** Nova's max_attempts: the chosen host plus up to two alternates. */
export const MAX_ATTEMPTS = 3;

/** Spawns on the placement's host, then its alternates; the first host is already claimed. */
async function buildOn(s: ServerEntity, placement: Placement, action: InstanceAction): Promise<void> {
  const { record, seed, log } = s;
  const hosts = [placement.host, ...placement.alternates].slice(0, MAX_ATTEMPTS);
  record.attempts = [];
  for (let i = 0; i < hosts.length; i++) {
    const host = hosts[i];
    if (i > 0 && !(await claimed({ host, key: seed.id, resources: flavorResources(seed.flavor) }))) {
      record.attempts.push({ host, result: 'Error', message: `no room left on ${host}` });
      continue;
    }
    record.host = host;
    if (placement.zones?.[host]) record.hostZone = placement.zones[host];
    if (placement.queues?.[host]) record.hostQueue = placement.queues[host];
    else delete record.hostQueue;
    record.taskState = 'spawning';
    record.progress = 0;
    s.touch();
    const event = log.begin(action, 'compute__do_build_and_run_instance', host);
    let guest: Record<string, Record<string, unknown>>;
    try {
      guest = await s.prepareSteps(host);
    } catch (err) {
      // Nothing a build step needs is host-specific: another host would fail the same way.
      const { message } = failureMessage(err);
      log.finish(action, event, message);
      record.attempts.push({ host, result: 'Error', message });
      await s.releaseSteps();
      await s.releaseHost();
      s.fail({ code: 500, message: `Build of instance ${seed.id} aborted: ${message}` });
      return;
    }
    try {
      await computeOn(host, record.hostQueue).spawn({
        serverId: seed.id,
        name: seed.name,
        ...(record.hostname ? { hostname: record.hostname } : {}),
        flavor: seed.flavor,
        // The record's: a rebuild changes the image (and what was captured with it).
        imageRef: record.imageRef,
        metadata: record.metadata,
        extra: seed.extra,
        ...(record.guest || Object.keys(guest).length > 0 ? { guest: { ...record.guest, ...guest } } : {}),
      });
      log.finish(action, event);
      record.attempts.push({ host, result: 'Success', message: null });
      record.vmState = 'active';
      record.taskState = null;
      record.powerState = PowerState.RUNNING;
      record.progress = 100;
      record.launchedAt = nowIso();
      record.fault = null;
      s.touch();
      return;
    } catch (err) {
      if (isCancellation(err)) {
        log.finish(action, event, 'interrupted: the server was deleted while building');
        throw err;
      }
      const { type, message } = failureMessage(err);
      log.finish(action, event, message);
      record.attempts.push({ host, result: 'Error', message });
      await s.releaseSteps();
      await s.releaseHost();
      if (type === BUILD_ABORT) {
        s.fail({ code: 500, message: `Build of instance ${seed.id} aborted: ${message}` });
        return;
      }
      // Temporal's metric meter: counted once when the task runs, never again on replay.
      if (i < hosts.length - 1)
        metricMeter.createCounter(WORKFLOW_METRICS.reschedules).add(1, { from: host });
    }
  }
  s.fail({
    code: 500,
    message:
      'Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for ' +
      `instance ${seed.id}.`,
    details: record.attempts.map((a) => `${a.host}: ${a.message}`).join('; '),
  });
}

/**
 * Builds on a placement, rescheduling on its alternates when the driver says "try elsewhere", unless
 * a delete came first. A delete during the build cancels it (the delete then cleans up).
 */
export async function build(s: ServerEntity, placement: Placement, action: InstanceAction): Promise<void> {
  if (s.deleteQueued()) {
    // The scheduler's claim on the first host is held until the delete gives it back.
    if (s.revision >= 1 || patched(RELEASE_UNBUILT_CLAIM)) {
      s.record.host = placement.host;
      if (placement.queues?.[placement.host]) s.record.hostQueue = placement.queues[placement.host];
    }
    return;
  }
  s.buildScope = new CancellationScope();
  try {
    await s.buildScope.run(() => buildOn(s, placement, action));
  } catch (err) {
    if (!isCancellation(err)) throw err;
  } finally {
    s.buildScope = undefined;
  }
}
