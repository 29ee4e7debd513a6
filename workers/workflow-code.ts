import path from 'node:path';
import type { WorkerOptions } from '@temporalio/worker';
import { workflowEntry } from '../extensions/bundle';

/** Where a worker's workflow code comes from. */
export interface WorkflowCodeOptions {
  /** A prebuilt bundle (tests build it once; an image builds them at build time); otherwise the worker bundles the workflows itself. */
  workflowBundle?: { codePath: string };
  /** Workflow interceptor modules of the extensions in force. */
  workflowModules?: string[];
  /** Modules of workflow types extensions ship, re-exported next to the core workflows. */
  workflowTypes?: string[];
}

/** The files scripts/bundle-workflows.ts writes: without and with OpenTelemetry's workflow interceptors. */
export const WORKFLOW_BUNDLES = { plain: 'workflows.js', traced: 'workflows-traced.js' } as const;

/** What a traced bundle adds (the tracing plugin adds the same module when a worker bundles itself). */
export const TRACED_WORKFLOW_MODULES = [
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

/** The prebuilt bundle in `dir` (NOVAFLOW_WORKFLOW_BUNDLE_DIR) a worker loads, or none to bundle at start. */
export function prebuiltBundle(dir: string | undefined, traced: boolean): { codePath: string } | undefined {
  if (!dir) return undefined;
  return { codePath: path.join(dir, traced ? WORKFLOW_BUNDLES.traced : WORKFLOW_BUNDLES.plain) };
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
