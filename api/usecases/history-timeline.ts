import type { WorkflowHandle } from '@temporalio/client';
import { hostOfTaskQueue, isFleetQueue } from '../../common/names';
import { decodePayloads, type RawPayload } from './live-progress';

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
/** One raw event of a Temporal history. */
export type HistoryEvent = NonNullable<History['events']>[number];

/** One activity execution: every server-side retry is folded into it (Temporal records the last). */
export interface ActivityEntry {
  kind: 'activity';
  time: string;
  stage?: string;
  activity: string;
  activity_id: string;
  task_queue: string;
  /** The compute host whose queue ran it; null for control-plane activities. */
  host: string | null;
  worker: string | null;
  scheduled_at: string;
  started_at: string | null;
  closed_at: string | null;
  /** Time spent waiting for a worker to pick it up (long when a host is down). */
  queued_ms: number | null;
  duration_ms: number | null;
  /** 1 for the first try; higher when Temporal retried it on the same queue. */
  attempt: number;
  result: 'scheduled' | 'running' | 'completed' | 'failed' | 'timed_out' | 'canceled';
  failure: { message: string; type: string | null } | null;
  /** Failure of the previous try, when this attempt is a retry. */
  last_failure: string | null;
  retry_state: string | null;
}

/** Anything else worth a line: stage or status changes, messages, timers, the workflow's own fate. */
export interface MarkEntry {
  kind: 'workflow' | 'stage' | 'status' | 'signal' | 'signal-sent' | 'update' | 'timer' | 'workflow-task';
  time: string;
  stage?: string;
  what: string;
  detail?: string;
}

export type TimelineEntry = ActivityEntry | MarkEntry;

const RETRY_STATES = [
  null,
  'in_progress',
  'non_retryable_failure',
  'timeout',
  'maximum_attempts_reached',
  'retry_policy_not_set',
  'internal_server_error',
  'cancel_requested',
];

type Ts = { seconds?: unknown; nanos?: number | null } | null | undefined;

/** Milliseconds of a protobuf timestamp (seconds may be a Long). */
export function tsMs(ts: Ts): number | null {
  if (!ts || ts.seconds == null) return null;
  const s = ts.seconds as { toNumber?: () => number };
  const seconds = typeof s.toNumber === 'function' ? s.toNumber() : Number(ts.seconds);
  return seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function failureOf(
  f:
    | { message?: string | null; applicationFailureInfo?: { type?: string | null } | null; cause?: unknown }
    | null
    | undefined,
) {
  if (!f) return null;
  let cur = f;
  // Timeouts and activity wrappers carry the useful text in a cause.
  while (!cur.message && cur.cause) cur = cur.cause as typeof f;
  return { message: cur.message ?? '', type: cur.applicationFailureInfo?.type ?? null };
}

/** The `host` a driver call names in its input (a fleet's calls), if any. */
function hostOfInput(args: unknown[]): string | undefined {
  const host = (args[0] as { host?: unknown } | undefined)?.host;
  return typeof host === 'string' ? host : undefined;
}

function statusValue(fields: Record<string, RawPayload> | null | undefined): string | undefined {
  const payload = fields?.NovaStatus;
  if (!payload) return undefined;
  const [value] = decodePayloads([payload]);
  return Array.isArray(value) ? String(value[0]) : value == null ? undefined : String(value);
}

/** The marker the SDK records for a local activity: one event, written when it finished. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

type Marker = NonNullable<HistoryEvent['markerRecordedEventAttributes']>;

type LocalActivityData = {
  activity_type?: string;
  activity_id?: string;
  attempt?: number;
  original_schedule_time?: Ts;
};

function localActivityData(m: Marker): LocalActivityData | undefined {
  return (
    decodePayloads((m.details?.data?.payloads ?? []) as RawPayload[]) as [LocalActivityData | undefined]
  )[0];
}

/**
 * When the local activity that follows an event (in the same workflow task) was scheduled, if it was.
 * Every command of a task carries the task's completion time, so a stage entered between local
 * activities (a reservation admits, schedules and starts in one task) is timed by the next one's start.
 */
function nextLocalStart(next: HistoryEvent | undefined): number | undefined {
  const m = next?.markerRecordedEventAttributes;
  if (m?.markerName !== LOCAL_ACTIVITY_MARKER) return undefined;
  return tsMs(localActivityData(m)?.original_schedule_time as Ts) ?? undefined;
}

/** A local activity (run inside a workflow task, no task queue) as a timeline entry. */
function localActivityEntry(m: Marker, closedMs: number, stage: string | undefined): ActivityEntry {
  const data = localActivityData(m);
  const startMs = tsMs(data?.original_schedule_time as Ts) ?? closedMs;
  return {
    kind: 'activity',
    time: iso(startMs)!,
    ...(stage ? { stage } : {}),
    activity: data?.activity_type ?? 'local activity',
    activity_id: data?.activity_id ?? '',
    task_queue: '(local)',
    host: null,
    worker: null,
    scheduled_at: iso(startMs)!,
    started_at: iso(startMs)!,
    closed_at: iso(closedMs)!,
    queued_ms: 0,
    duration_ms: closedMs - startMs,
    attempt: data?.attempt ?? 1,
    result: m.failure ? 'failed' : 'completed',
    failure: m.failure
      ? { message: m.failure.message ?? '', type: m.failure.applicationFailureInfo?.type ?? null }
      : null,
    last_failure: null,
    retry_state: null,
  };
}

function describeArgs(args: unknown[]): string | undefined {
  const first = args[0] as { action?: { type?: string }; keys?: string[]; serverId?: string } | undefined;
  if (first?.action?.type) return first.action.type;
  if (first?.serverId) return first.serverId;
  if (first?.keys) return first.keys.join(', ');
  return undefined;
}

/**
 * Turns a raw history into a readable timeline. `statusKind` names what the NovaStatus search
 * attribute means for this workflow: a reservation's stage, or a server's status.
 */
export function buildTimeline(
  events: HistoryEvent[],
  statusKind: 'stage' | 'status' | null,
): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const activities = new Map<string, ActivityEntry>();
  const updates = new Map<string, MarkEntry>();
  let stage: string | undefined;
  let status: string | undefined;
  const mark = (e: Omit<MarkEntry, 'stage'>) => out.push(statusKind === 'stage' ? { ...e, stage } : e);
  const setStatus = (value: string | undefined, time: string) => {
    if (!value || value === status || !statusKind) return;
    status = value;
    if (statusKind === 'stage') stage = value;
    mark({ kind: statusKind, time, what: value });
  };

  for (const [i, ev] of events.entries()) {
    const ms = tsMs(ev.eventTime as Ts) ?? 0;
    const time = iso(ms)!;
    const id = String(ev.eventId);
    if (ev.workflowExecutionStartedEventAttributes) {
      const a = ev.workflowExecutionStartedEventAttributes;
      mark({ kind: 'workflow', time, what: 'started', detail: a.workflowType?.name ?? undefined });
      setStatus(statusValue(a.searchAttributes?.indexedFields as Record<string, RawPayload>), time);
    } else if (ev.upsertWorkflowSearchAttributesEventAttributes) {
      const fields = ev.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields;
      const localStart = nextLocalStart(events[i + 1]);
      setStatus(
        statusValue(fields as Record<string, RawPayload>),
        localStart !== undefined && localStart < ms ? iso(localStart)! : time,
      );
    } else if (ev.activityTaskScheduledEventAttributes) {
      const a = ev.activityTaskScheduledEventAttributes;
      const queue = a.taskQueue?.name ?? '';
      const entry: ActivityEntry = {
        kind: 'activity',
        time,
        ...(statusKind === 'stage' ? { stage } : {}),
        activity: a.activityType?.name ?? '',
        activity_id: a.activityId ?? '',
        task_queue: queue,
        // A fleet's queue serves many hosts: the call names its host in its input.
        host:
          hostOfTaskQueue(queue) ??
          (isFleetQueue(queue)
            ? hostOfInput(decodePayloads(a.input?.payloads as RawPayload[]))
            : undefined) ??
          null,
        worker: null,
        scheduled_at: time,
        started_at: null,
        closed_at: null,
        queued_ms: null,
        duration_ms: null,
        attempt: 1,
        result: 'scheduled',
        failure: null,
        last_failure: null,
        retry_state: null,
      };
      activities.set(id, entry);
      out.push(entry);
    } else if (ev.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER) {
      out.push(
        localActivityEntry(ev.markerRecordedEventAttributes, ms, statusKind === 'stage' ? stage : undefined),
      );
    } else if (ev.activityTaskStartedEventAttributes) {
      const a = ev.activityTaskStartedEventAttributes;
      const entry = activities.get(String(a.scheduledEventId));
      if (entry) {
        entry.started_at = time;
        entry.queued_ms = ms - Date.parse(entry.scheduled_at);
        entry.attempt = a.attempt ?? 1;
        entry.worker = a.identity ?? null;
        entry.result = 'running';
        entry.last_failure = failureOf(a.lastFailure)?.message ?? null;
      }
    } else {
      const closed =
        (ev.activityTaskCompletedEventAttributes &&
          (['completed', ev.activityTaskCompletedEventAttributes] as const)) ||
        (ev.activityTaskFailedEventAttributes &&
          (['failed', ev.activityTaskFailedEventAttributes] as const)) ||
        (ev.activityTaskTimedOutEventAttributes &&
          (['timed_out', ev.activityTaskTimedOutEventAttributes] as const)) ||
        (ev.activityTaskCanceledEventAttributes &&
          (['canceled', ev.activityTaskCanceledEventAttributes] as const));
      if (closed) {
        const [result, a] = closed;
        const entry = activities.get(String(a.scheduledEventId));
        if (!entry) continue;
        entry.result = result;
        entry.closed_at = time;
        entry.duration_ms = ms - Date.parse(entry.started_at ?? entry.scheduled_at);
        if ('failure' in a) entry.failure = failureOf(a.failure);
        if ('retryState' in a) entry.retry_state = RETRY_STATES[Number(a.retryState ?? 0)] ?? null;
        continue;
      }
      describeOther(ev, time, id, mark, updates);
    }
  }
  return out;
}

function describeOther(
  ev: HistoryEvent,
  time: string,
  id: string,
  mark: (e: Omit<MarkEntry, 'stage'>) => void,
  updates: Map<string, MarkEntry>,
): void {
  if (ev.workflowExecutionSignaledEventAttributes) {
    const a = ev.workflowExecutionSignaledEventAttributes;
    const name = a.signalName ?? '';
    mark({ kind: 'signal', time, what: name, detail: describeArgs(decodePayloads(a.input?.payloads)) });
  } else if (ev.signalExternalWorkflowExecutionInitiatedEventAttributes) {
    const a = ev.signalExternalWorkflowExecutionInitiatedEventAttributes;
    mark({
      kind: 'signal-sent',
      time,
      what: a.signalName ?? '',
      detail: `to ${a.workflowExecution?.workflowId}`,
    });
  } else if (ev.workflowExecutionUpdateAcceptedEventAttributes) {
    const req = ev.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest;
    const name = req?.input?.name ?? '';
    const detail = [describeArgs(decodePayloads(req?.input?.args?.payloads)), req?.meta?.updateId]
      .filter(Boolean)
      .join(' ');
    const entry: MarkEntry = { kind: 'update', time, what: `${name} accepted`, detail };
    mark(entry);
    updates.set(req?.meta?.updateId ?? id, entry);
  } else if (ev.workflowExecutionUpdateCompletedEventAttributes) {
    const a = ev.workflowExecutionUpdateCompletedEventAttributes;
    const failure = failureOf(a.outcome?.failure);
    const accepted = updates.get(a.meta?.updateId ?? '');
    const name = accepted?.what.replace(/ accepted$/, '') ?? 'update';
    mark({
      kind: 'update',
      time,
      what: `${name} ${failure ? 'failed' : 'completed'}`,
      detail: failure ? failure.message : (a.meta?.updateId ?? undefined),
    });
  } else if (ev.timerStartedEventAttributes) {
    const t = ev.timerStartedEventAttributes.startToFireTimeout as Ts;
    mark({ kind: 'timer', time, what: 'started', detail: `${(tsMs(t) ?? 0) / 1000}s` });
  } else if (ev.timerFiredEventAttributes) {
    mark({ kind: 'timer', time, what: 'fired' });
  } else if (ev.workflowTaskFailedEventAttributes) {
    const f = failureOf(ev.workflowTaskFailedEventAttributes.failure);
    mark({ kind: 'workflow-task', time, what: 'failed', detail: f?.message });
  } else if (ev.workflowExecutionCompletedEventAttributes) {
    mark({ kind: 'workflow', time, what: 'completed' });
  } else if (ev.workflowExecutionFailedEventAttributes) {
    const f = failureOf(ev.workflowExecutionFailedEventAttributes.failure);
    mark({ kind: 'workflow', time, what: 'failed', detail: f?.message });
  } else if (ev.workflowExecutionContinuedAsNewEventAttributes) {
    const runId = ev.workflowExecutionContinuedAsNewEventAttributes.newExecutionRunId;
    mark({ kind: 'workflow', time, what: 'continued as new', detail: runId ?? undefined });
  } else if (ev.workflowExecutionTerminatedEventAttributes) {
    const reason = ev.workflowExecutionTerminatedEventAttributes.reason;
    mark({ kind: 'workflow', time, what: 'terminated', detail: reason ?? undefined });
  } else if (ev.workflowExecutionTimedOutEventAttributes) {
    mark({ kind: 'workflow', time, what: 'timed out' });
  }
}
