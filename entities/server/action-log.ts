import { ApplicationFailure } from '@temporalio/workflow';
import type { Caller } from '../../common/types';
import type { InstanceAction, InstanceActionEvent } from './types';

/** Nova's timestamp format, from workflow time (deterministic on replay). */
export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The innermost ApplicationFailure of a Temporal error: its type and message. */
export function failureMessage(err: unknown): { type: string | undefined; message: string } {
  let cur: unknown = err;
  while (cur && (cur as { cause?: unknown }).cause && !(cur instanceof ApplicationFailure)) {
    cur = (cur as { cause?: unknown }).cause;
  }
  const message = cur instanceof Error ? cur.message : String(err);
  return { type: cur instanceof ApplicationFailure ? (cur.type ?? undefined) : undefined, message };
}

/** Nova's instance actions of one server: each action a request, each step of it an event. */
export class ActionLog {
  constructor(private readonly actions: InstanceAction[]) {}

  start(
    action: string,
    caller: Pick<Caller, 'projectId' | 'requestId'> & { userId: string | null },
  ): InstanceAction {
    const entry: InstanceAction = {
      action,
      requestId: caller.requestId,
      userId: caller.userId,
      projectId: caller.projectId,
      startTime: nowIso(),
      updatedAt: nowIso(),
      message: null,
      events: [],
    };
    this.actions.push(entry);
    return entry;
  }

  /** The action being worked on: the latest one. */
  current(): InstanceAction {
    return this.actions[this.actions.length - 1];
  }

  begin(action: InstanceAction, event: string, host: string | null): InstanceActionEvent {
    const e: InstanceActionEvent = {
      event,
      startTime: nowIso(),
      finishTime: null,
      result: null,
      traceback: null,
      host,
    };
    action.events.push(e);
    return e;
  }

  /** Closes an event; an error marks the whole action "Error", as Nova does. */
  finish(action: InstanceAction, event: InstanceActionEvent, error?: string): void {
    event.finishTime = nowIso();
    event.result = error ? 'Error' : 'Success';
    event.traceback = error ?? null;
    action.updatedAt = event.finishTime;
    if (error) action.message = 'Error';
  }
}
