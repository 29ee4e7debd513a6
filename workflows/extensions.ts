import { workflowInfo } from '@temporalio/workflow';

/**
 * Whether an extension is in force for this workflow. The set is captured in the memo when the
 * workflow starts, so loading or unloading an extension later never changes a running workflow.
 * Only extension interceptors call this; core workflow code never does.
 */
export function extensionInForce(alias: string): boolean {
  const list = workflowInfo().memo?.extensions;
  return Array.isArray(list) && list.includes(alias);
}
