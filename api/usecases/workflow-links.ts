import type { ApiDeps } from '../context';

/** Link to one workflow in the Temporal Web UI, where operators see the raw history. */
export function workflowUrl(deps: Pick<ApiDeps, 'uiUrl' | 'namespace'>, workflowId: string): string {
  return `${deps.uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(deps.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
