import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { BUILD_ABORT, notFound, RESCHEDULE, toFailure } from '../common/errors';
import type { VirtDriver } from '../drivers/driver';
import { BuildAbortError, InstanceNotFound, RescheduleError } from '../drivers/driver';
import type { SpawnInput } from '../entities/reservation/stages';
import { spawnLatency, spawns } from '../common/observability/metrics';
import { globalTracer, inSpan } from '../common/observability/tracing';

export interface ComputeDeps {
  driver: VirtDriver;
  /** The host whose queue these activities serve (a metrics label). */
  host?: string;
}

/** How a spawn attempt ended, as the metrics say it. */
function spawnResult(err: unknown): string {
  if (err instanceof CancelledFailure) return 'cancelled';
  if (err instanceof ApplicationFailure && err.type === RESCHEDULE) return 'reschedule';
  if (err instanceof ApplicationFailure && err.type === BUILD_ABORT) return 'aborted';
  return 'error';
}

/** Driver errors -> failure types the workflows act on. The one place this translation happens. */
function translate(err: unknown): never {
  if (err instanceof RescheduleError)
    throw ApplicationFailure.create({ type: RESCHEDULE, message: err.message, nonRetryable: true });
  if (err instanceof BuildAbortError)
    throw ApplicationFailure.create({ type: BUILD_ABORT, message: err.message, nonRetryable: true });
  if (err instanceof InstanceNotFound) throw toFailure(notFound(err.message));
  throw err;
}

/** Heartbeats while a long driver call runs, so a dead compute node is noticed within the heartbeat timeout. */
async function withHeartbeat<T>(call: (beat: (details?: unknown) => void) => Promise<T>): Promise<T> {
  const ctx = Context.current();
  let last: unknown;
  const beat = (details?: unknown) => {
    last = details;
    ctx.heartbeat(details);
  };
  const timer = setInterval(() => ctx.heartbeat(last), 2000);
  try {
    return await call(beat);
  } finally {
    clearInterval(timer);
  }
}

/** Activities of a compute node: each one calls the virt driver of the host whose task queue it runs on. */
export function createComputeActivities({ driver, host = 'unknown' }: ComputeDeps) {
  /** The driver's spawn, heartbeating its progress; undone when the server was deleted meanwhile. */
  async function spawnOnce(input: SpawnInput): Promise<void> {
    const { cancellationSignal } = Context.current();
    await withHeartbeat((beat) =>
      driver
        .spawn(
          {
            id: input.serverId,
            name: input.name,
            ...(input.hostname ? { hostname: input.hostname } : {}),
            flavor: input.flavor,
            imageRef: input.imageRef,
            metadata: input.metadata,
            guest: input.guest ?? {},
          },
          (percent) => beat({ progress: percent }),
          cancellationSignal,
        )
        .catch(translate),
    );
    // Deleted while building: undo whatever the driver made before saying the spawn is cancelled,
    // so the delete that follows finds nothing left behind on this host.
    if (cancellationSignal.aborted) {
      await driver.destroy(input.serverId);
      throw new CancelledFailure(`spawn of ${input.serverId} cancelled: the server was deleted`);
    }
  }

  return {
    /** One spawn attempt, counted and timed by result, in a span of its own under the activity's. */
    async spawn(input: SpawnInput): Promise<void> {
      const started = process.hrtime.bigint();
      let result = 'success';
      try {
        await inSpan(
          globalTracer(),
          'driver.spawn',
          { 'novaflow.server_id': input.serverId, 'novaflow.host': host },
          () => spawnOnce(input),
        );
      } catch (err) {
        result = spawnResult(err);
        throw err;
      } finally {
        spawns.inc({ host, result });
        spawnLatency.observe({ host, result }, Number(process.hrtime.bigint() - started) / 1e9);
      }
    },
    async destroy({ serverId }: { serverId: string }): Promise<void> {
      await driver.destroy(serverId).catch(translate);
    },
    async reboot({ serverId, hard }: { serverId: string; hard: boolean }): Promise<void> {
      await driver.reboot(serverId, hard).catch(translate);
    },
    async powerOff({ serverId }: { serverId: string }): Promise<void> {
      await driver.powerOff(serverId).catch(translate);
    },
    async powerOn({ serverId }: { serverId: string }): Promise<void> {
      await driver.powerOn(serverId).catch(translate);
    },
    /** Whether the server's machine runs here (null: this host has no such machine). */
    async powerState({ serverId }: { serverId: string }): Promise<{ running: boolean } | null> {
      const info = await driver.getInfo(serverId);
      return info ? { running: info.running } : null;
    },
  };
}

export type ComputeActivities = ReturnType<typeof createComputeActivities>;
