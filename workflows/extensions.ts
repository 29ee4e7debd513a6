import { workflowInfo, type WorkflowOutboundCallsInterceptor } from '@temporalio/workflow';

/**
 * Whether an extension is in force for this workflow. The set is captured in the memo when the
 * workflow starts, so loading or unloading an extension later never changes a running workflow.
 * Only extension interceptors call this; core workflow code never does.
 */
export function extensionInForce(alias: string): boolean {
  const list = workflowInfo().memo?.extensions;
  return Array.isArray(list) && list.includes(alias);
}

/** The arguments a stage is called with, and the call itself with (possibly widened) arguments. */
export type StageCall = (args: unknown[]) => Promise<unknown>;

/**
 * An outbound interceptor that wraps one stage, named by its activity type, whether the stage runs as
 * an activity or as a local activity within the workflow task (a reservation schedules a request of
 * one call locally from revision 2): `wrap` gets the stage's arguments and the call to make. Every
 * other activity passes through untouched.
 */
export function stageHook(
  activityType: string,
  wrap: (args: unknown[], call: StageCall) => Promise<unknown>,
): WorkflowOutboundCallsInterceptor {
  const around = <I extends { activityType: string; args: unknown[] }>(
    input: I,
    next: (input: I) => Promise<unknown>,
  ) =>
    input.activityType === activityType ? wrap(input.args, (args) => next({ ...input, args })) : next(input);
  return { scheduleActivity: around, scheduleLocalActivity: around };
}
