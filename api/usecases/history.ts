import type { Client } from '@temporalio/client';
import { isNotFound } from '../../entities/client-errors';
import { notFound } from '../../common/errors';
import type { ApiDeps } from '../context';
import { buildTimeline, tsMs, type ActivityEntry, type TimelineEntry } from './history-timeline';
import { decodePayloads } from './live-progress';
import { workflowUrl } from './workflow-links';

/** A stage of a reservation with its time span. */
export interface StageSpan {
  stage: string;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  activities: number;
  failed_activities: number;
}

/** `GET /os-workflows/{id}/history`: the readable form of one workflow's history. */
export interface HistoryView {
  workflow: {
    workflow_id: string;
    run_id: string;
    type: string;
    status: string;
    task_queue: string;
    start_time: string | null;
    close_time: string | null;
    history_length: number;
    continued_from: string | null;
    web_ui_url: string;
  };
  stages?: StageSpan[];
  timeline: TimelineEntry[];
}

function kindOf(workflowId: string): 'stage' | 'status' | null {
  if (workflowId.startsWith('reservation/')) return 'stage';
  if (workflowId.startsWith('server/')) return 'status';
  return null;
}

function stageSpans(timeline: TimelineEntry[], closeTime: string | null): StageSpan[] {
  const spans: StageSpan[] = [];
  for (const e of timeline) {
    if (e.kind === 'stage') {
      const prev = spans[spans.length - 1];
      if (prev) {
        prev.ended_at = e.time;
        prev.duration_ms = Date.parse(e.time) - Date.parse(prev.started_at);
      }
      spans.push({
        stage: e.what,
        started_at: e.time,
        ended_at: null,
        duration_ms: null,
        activities: 0,
        failed_activities: 0,
      });
    } else if (e.kind === 'activity') {
      const span = spans.find((s) => s.stage === e.stage);
      if (!span) continue;
      span.activities++;
      if (e.result === 'failed' || e.result === 'timed_out') span.failed_activities++;
    }
  }
  const last = spans[spans.length - 1];
  if (last && last.stage === 'done') {
    last.ended_at = last.started_at;
    last.duration_ms = 0;
  } else if (last && closeTime) {
    last.ended_at = closeTime;
    last.duration_ms = Date.parse(closeTime) - Date.parse(last.started_at);
  }
  return spans;
}

/**
 * Reads a workflow's history (the latest run) and turns it into a timeline. For a running workflow,
 * activities in flight are completed from `describe`, because Temporal writes an activity's started
 * event only when the activity closes.
 */
export async function workflowHistory(
  deps: Pick<ApiDeps, 'client' | 'uiUrl' | 'namespace'>,
  workflowId: string,
): Promise<HistoryView> {
  const handle = (deps.client as Client).workflow.getHandle(workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (isNotFound(err)) throw notFound(`Workflow ${workflowId} could not be found.`);
    throw err;
  }
  const history = await deps.client.workflow.getHandle(workflowId, description.runId).fetchHistory();
  const events = history.events ?? [];
  const timeline = buildTimeline(events, kindOf(workflowId));
  for (const pending of description.raw.pendingActivities ?? []) {
    const entry = timeline.find(
      (e): e is ActivityEntry => e.kind === 'activity' && e.activity_id === pending.activityId,
    );
    if (!entry || entry.closed_at) continue;
    const started = tsMs(pending.lastStartedTime as never);
    entry.result = started ? 'running' : 'scheduled';
    entry.attempt = pending.attempt ?? entry.attempt;
    entry.started_at = started ? new Date(started).toISOString() : null;
    entry.worker = pending.lastWorkerIdentity || entry.worker;
    const failure = pending.lastFailure?.message;
    entry.last_failure = failure || entry.last_failure;
    const [details] = decodePayloads(pending.heartbeatDetails?.payloads);
    if (details !== undefined) (entry as ActivityEntry & { heartbeat?: unknown }).heartbeat = details;
  }
  const started = (events[0]?.workflowExecutionStartedEventAttributes ?? null) as {
    continuedExecutionRunId?: string | null;
  } | null;
  const closeTime = description.closeTime?.toISOString() ?? null;
  const view: HistoryView = {
    workflow: {
      workflow_id: workflowId,
      run_id: description.runId,
      type: description.type,
      status: description.status.name,
      task_queue: description.taskQueue,
      start_time: description.startTime?.toISOString() ?? null,
      close_time: closeTime,
      history_length: events.length,
      continued_from: started?.continuedExecutionRunId || null,
      web_ui_url: workflowUrl(deps, workflowId),
    },
    timeline,
  };
  if (kindOf(workflowId) === 'stage') view.stages = stageSpans(timeline, closeTime);
  return view;
}
