import type { WorkerOptions } from '@temporalio/worker';
import { workflowEntry } from '../extensions/bundle';

/** Where a worker's workflow code comes from. */
export interface WorkflowCodeOptions {
  /** A prebuilt bundle (tests build it once); otherwise the worker bundles the workflows itself. */
  workflowBundle?: { codePath: string };
  /** Workflow interceptor modules of the extensions in force. */
  workflowModules?: string[];
  /** Modules of workflow types extensions ship, re-exported next to the core workflows. */
  workflowTypes?: string[];
}

/** The worker options for that code: the bundle as given, or the entry to bundle with its interceptors. */
export function workflowCode(opts: WorkflowCodeOptions): Partial<WorkerOptions> {
  if (opts.workflowBundle) return { workflowBundle: opts.workflowBundle };
  return {
    workflowsPath: workflowEntry(opts.workflowTypes ?? []),
    bundlerOptions: { ignoreModules: [] },
    interceptors: { workflowModules: opts.workflowModules ?? [] },
  };
}
