import type { Client } from '@temporalio/client';
import { hostStateQuery } from '../common/messages';
import { hostWorkflowId } from '../common/names';
import type { HostState } from '../common/types';
import { NovaKind } from '../common/search-attributes';
import { eq, visibilityQuery } from '../common/visibility';

/** Visibility query that finds every compute host entity. */
export const HOSTS_QUERY = visibilityQuery(eq(NovaKind, 'host'), eq('ExecutionStatus', 'Running'));

/** Names of all registered compute hosts, sorted. */
export async function listHostNames(client: Client): Promise<string[]> {
  const names = new Set<string>();
  for await (const wf of client.workflow.list({ query: HOSTS_QUERY })) {
    names.add(wf.workflowId.slice('host/'.length));
  }
  return [...names].sort();
}

/** The current state of each host (a query each, so it is strongly consistent). */
export async function loadHostStates(client: Client, names?: string[]): Promise<HostState[]> {
  const all = names ?? (await listHostNames(client));
  const states = await Promise.all(
    all.map((name) =>
      client.workflow
        .getHandle(hostWorkflowId(name))
        .query(hostStateQuery)
        .catch(() => null),
    ),
  );
  return states.filter((s): s is HostState => s !== null);
}

/** A host is up while its heartbeats are recent. */
export function isAlive(state: HostState, downAfterMs: number, now = Date.now()): boolean {
  return now - state.lastHeartbeat <= downAfterMs;
}
