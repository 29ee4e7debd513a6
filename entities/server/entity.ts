import {
  type ActivityOptions,
  ActivityCancellationType,
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  type SignalDefinition,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ComputeActivities } from '../../activities/compute';
import type { ControlActivities } from '../../activities/control';
import { BUILD_ABORT, RESCHEDULE } from '../../common/errors';
import { computeTaskQueue, hostWorkflowId, quotaWorkflowId, reservationWorkflowId } from '../../common/names';
import { NovaHost, NovaStatus } from '../../common/search-attributes';
import { serverStatus } from '../../common/status';
import type { Fault } from '../../common/types';
import { releaseClaimsSignal } from '../host/messages';
import { releaseQuotaSignal } from '../quota/messages';
import { serverBuiltSignal } from '../reservation/messages';
import type {
  BuildStepRef,
  EntitySignal,
  PrepareStepInput,
  PrepareStepResult,
  ReleaseStepInput,
  ServerWorkflowInput,
} from '../reservation/stages';
import { ActionLog, nowIso } from './action-log';
import type { PowerReport, ServerActionRequest } from './messages';
import { initialServerRecord, memoView } from './rules';
import type { ServerRecord, ServerSeed } from './types';

/** Retried for a few minutes, never for ever: a failure then ends the build or retry in ERROR. */
export const control = proxyActivities<ControlActivities>({
  startToCloseTimeout: '1 minute',
  // Control activities beat every 2 s while they run (workers/control.ts): a dead control worker's
  // call is retried elsewhere after 10 s.
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '500ms', maximumInterval: '10s', maximumAttempts: 20 },
});

/**
 * What the server tells other entities (revision 2): one local activity in the workflow task that
 * decided it, retried until it is delivered — a release must not be lost, and a repeat is harmless.
 */
const { tell } = proxyLocalActivities<ControlActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200ms', maximumInterval: '5s' },
});

/** Revision from which the server tells other entities through `tell` (SERVER_REVISION). */
const TELLS_LOCALLY = 2;

/** Claims an alternate host; a claim that failed for good is a host without room. */
export async function claimed(input: Parameters<typeof control.claimOnHost>[0]): Promise<boolean> {
  try {
    return await control.claimOnHost(input);
  } catch (err) {
    if (isCancellation(err)) throw err;
    return false;
  }
}

const computeOptions: ActivityOptions = {
  scheduleToStartTimeout: '1 minute',
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '20 seconds',
  // A delete during the build cancels the spawn and waits until the node has undone it.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: {
    initialInterval: '1s',
    maximumInterval: '10s',
    maximumAttempts: 3,
    nonRetryableErrorTypes: [RESCHEDULE, BUILD_ABORT],
  },
};

/**
 * Driver calls run on the task queue that serves the host (its own `compute/<host>`, or its fleet's
 * when `queue` names one); a dead host shows as a schedule-to-start timeout. Every call names its
 * host in its input, which a fleet's worker needs to find the host's driver.
 */
export function computeOn(host: string, queue?: string): ComputeActivities {
  const activities = proxyActivities<ComputeActivities>({
    taskQueue: queue ?? computeTaskQueue(host),
    ...computeOptions,
  });
  return withHost(activities, host);
}

/** Activities whose every call carries `host` in its (first, object) input. */
export function withHost<A extends object>(activities: A, host: string): A {
  return new Proxy(activities, {
    get(target, name) {
      const fn = Reflect.get(target, name) as
        ((input: object, ...rest: unknown[]) => Promise<unknown>) | undefined;
      if (typeof fn !== 'function') return fn;
      return (input: object, ...rest: unknown[]) => fn({ ...input, host }, ...rest);
    },
  });
}

/**
 * Build steps' activities, called by the names extensions declared. A prepare that fails for good
 * aborts the build; a release is retried until it works (it gives back what a server holds).
 */
const prepareRetry = {
  initialInterval: '500ms',
  maximumInterval: '5s',
  maximumAttempts: 10,
  nonRetryableErrorTypes: [BUILD_ABORT],
};
// Giving back is retried until it works: a release that failed for good would either leak what the
// step holds or, escaping, fail the server's entity. A delete waits for it (task_state deleting).
const releaseRetry = { initialInterval: '500ms', maximumInterval: '1 minute' };
type StepActivities = {
  prepare: Record<string, (input: PrepareStepInput) => Promise<PrepareStepResult>>;
  release: Record<string, (input: ReleaseStepInput) => Promise<void>>;
};
const stepActivities: StepActivities = {
  prepare: proxyActivities({
    startToCloseTimeout: '30 seconds',
    heartbeatTimeout: '10 seconds',
    retry: prepareRetry,
  }),
  release: proxyActivities({
    startToCloseTimeout: '30 seconds',
    heartbeatTimeout: '10 seconds',
    retry: releaseRetry,
  }),
};
/**
 * From revision 3 the steps run as local activities within the workflow task that needs them: no
 * activity task and no workflow task of their own. What they wait on (an address pool's update) runs
 * on the admission queue, whose slots no control workflow task holds, so a task held open cannot
 * starve it.
 */
const localStepActivities: StepActivities = {
  prepare: proxyLocalActivities({ startToCloseTimeout: '30 seconds', retry: prepareRetry }),
  release: proxyLocalActivities({ startToCloseTimeout: '30 seconds', retry: releaseRetry }),
};

/** Revision from which build steps run as local activities (SERVER_REVISION). */
const STEPS_LOCALLY = 3;

/** Work for the main loop: an accepted action, or a power state a compute node saw change. */
export type QueuedWork = ServerActionRequest | { powerReport: PowerReport };

/** What the server workflow carries into its next run when its history grows long. */
export interface ServerContinuation {
  record: ServerRecord;
  input: ServerWorkflowInput;
  holdsQuota: boolean;
}

/**
 * One server entity's state and the steps every concern shares (build, lifecycle, retry): publish a
 * change, give back the host claim or the quota (each at most once), fail with a fault, report the
 * build's outcome to the reservation.
 */
export class ServerEntity {
  readonly seed: ServerSeed;
  readonly record: ServerRecord;
  readonly log: ActionLog;
  /** Accepted actions (and power reports) waiting for the main loop. */
  readonly queue: QueuedWork[] = [];
  holdsQuota: boolean;
  /** The build in progress, so a delete can interrupt it instead of waiting for a slow spawn. */
  buildScope: CancellationScope | undefined;

  constructor(
    readonly input: ServerWorkflowInput,
    resumed?: ServerContinuation,
  ) {
    this.seed = input.seed;
    this.holdsQuota = resumed?.holdsQuota ?? input.holdsQuota;
    this.record =
      resumed?.record ?? initialServerRecord(input.seed, input.createdAt, input.fault, input.placement);
    this.log = new ActionLog(this.record.actions);
  }

  /**
   * Publishes a change: the memo view lists and GETs read, and the search attributes lists filter on
   * when they changed (a task state change is most often the same status on the same host).
   */
  touch(): void {
    this.record.updated = nowIso();
    const status = serverStatus(this.record.vmState, this.record.taskState);
    const host = this.record.host ?? '';
    const published = workflowInfo().typedSearchAttributes;
    if (this.revision < 1 || published.get(NovaStatus) !== status || published.get(NovaHost) !== host)
      upsertSearchAttributes([
        { key: NovaStatus, value: status },
        { key: NovaHost, value: host },
      ]);
    upsertMemo({ view: memoView(this.record) });
  }

  /** Sends signals to other entities: at revision 2 in one local activity, before that one by one. */
  private async send(signals: EntitySignal[]): Promise<void> {
    if (this.revision >= TELLS_LOCALLY) {
      if (signals.length > 0) await tell(signals);
      return;
    }
    await Promise.all(
      signals.map(({ workflowId, signal, arg }) => getExternalWorkflowHandle(workflowId).signal(signal, arg)),
    );
  }

  private hostRelease(): EntitySignal[] {
    if (!this.record.host) return [];
    return [signalTo(hostWorkflowId(this.record.host), releaseClaimsSignal, { keys: [this.seed.id] })];
  }

  private quotaRelease(): EntitySignal[] {
    if (!this.holdsQuota) return [];
    return [signalTo(quotaWorkflowId(this.seed.projectId), releaseQuotaSignal, { keys: [this.seed.id] })];
  }

  async releaseHost(): Promise<void> {
    const signals = this.hostRelease();
    if (signals.length === 0) return;
    await this.send(signals);
    this.leftHost();
  }

  /** Gives back the host claim and the quota together (a delete), at once. */
  async releaseHostAndQuota(): Promise<void> {
    if (this.revision < TELLS_LOCALLY) {
      await Promise.all([this.releaseHost(), this.releaseQuota()]);
      return;
    }
    await this.send([...this.hostRelease(), ...this.quotaRelease()]);
    this.leftHost();
    this.holdsQuota = false;
  }

  /** The claim is given back: the server is on no host. */
  private leftHost(): void {
    this.record.host = null;
    delete this.record.hostQueue;
  }

  /** The driver of the host the server is on (undefined while it has none). */
  driver(): ComputeActivities | undefined {
    return this.record.host ? computeOn(this.record.host, this.record.hostQueue) : undefined;
  }

  async releaseQuota(): Promise<void> {
    const signals = this.quotaRelease();
    if (signals.length === 0) return;
    await this.send(signals);
    this.holdsQuota = false;
  }

  /** The revision the entity started at (SERVER_REVISION): what it does that earlier ones do not. */
  get revision(): number {
    return this.input.revision ?? 0;
  }

  private get steps(): StepActivities {
    return this.revision >= STEPS_LOCALLY ? localStepActivities : stepActivities;
  }

  get buildSteps(): BuildStepRef[] {
    return this.input.buildSteps ?? [];
  }

  /**
   * Runs every build step's `prepare` for a spawn on `host`; answers what they prepared for the guest.
   * A step is marked held before it runs, so a crash or a delete in between still releases it; each
   * runs to its end even when a delete cancels the build (the delete then releases it).
   */
  async prepareSteps(host: string): Promise<Record<string, Record<string, unknown>>> {
    const guest: Record<string, Record<string, unknown>> = {};
    for (const step of this.buildSteps) {
      const prepared = (this.record.prepared ??= {});
      prepared[step.name] = {};
      const result = await CancellationScope.nonCancellable(() =>
        this.steps.prepare[step.prepare]({ server: this.seed, host }),
      );
      prepared[step.name] = result.view ?? {};
      if (result.guest) guest[step.name] = result.guest;
    }
    // Published with the spawn's outcome: another memo upsert here would cost every build an event.
    return guest;
  }

  /** Releases every build step the server holds, last prepared first; each at most once. */
  async releaseSteps(): Promise<void> {
    const prepared = this.record.prepared;
    if (!prepared) return;
    for (const step of [...this.buildSteps].reverse()) {
      if (!(step.name in prepared)) continue;
      const release = step.release;
      if (release)
        await CancellationScope.nonCancellable(() => this.steps.release[release]({ server: this.seed }));
      delete prepared[step.name];
    }
    if (Object.keys(prepared).length === 0) delete this.record.prepared;
  }

  fail(fault: Omit<Fault, 'created'>): void {
    this.record.vmState = 'error';
    this.record.taskState = null;
    this.record.fault = { ...fault, created: nowIso() };
    this.touch();
  }

  deleteQueued(): boolean {
    return this.queue.some((r) => 'action' in r && r.action.type === 'delete');
  }

  async reportBuilt(): Promise<void> {
    const report = signalTo(reservationWorkflowId(this.seed.reservationId), serverBuiltSignal, {
      serverId: this.seed.id,
      status: this.deleteQueued() ? 'DELETED' : this.record.vmState === 'active' ? 'ACTIVE' : 'ERROR',
      host: this.record.host,
      fault: this.record.fault,
    });
    try {
      await this.send([report]);
    } catch {
      // The reservation has settled already (a retry long after the create): nobody waits for this.
    }
  }
}

function signalTo<T>(workflowId: string, signal: SignalDefinition<[T]>, arg: T): EntitySignal {
  return { workflowId, signal: signal.name, arg };
}
