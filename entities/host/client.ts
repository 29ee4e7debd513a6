import type { Client } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { isNotFound } from '../client-errors';
import type { ApplicationFailure } from '@temporalio/common';
import { CONTROL_TASK_QUEUE, hostWorkflowId } from '../../common/names';
import { NovaHost, NovaKind } from '../../common/search-attributes';
import { eq, visibilityQuery } from '../../common/visibility';
import {
  claimUpdate,
  hostReportSignal,
  hostStateQuery,
  releaseClaimsSignal,
  setHostEnabledUpdate,
} from './messages';
import { CLAIM_REFUSED } from './rules';
import type { AllocationRatios, ClaimRequest, HostReport, HostState } from './types';
import type { hostWorkflow } from './workflow';

/**
 * The host entity's client: the only code that reads `host/NAME` or sends it updates and signals.
 */

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

/**
 * Claims resources on a host in one batch (all of it or nothing): false when the host refused it
 * (it does not fit, or the host takes no new servers), so the scheduler plans again.
 */
export async function claimOn(
  client: Client,
  host: string,
  claims: ClaimRequest['claims'],
  ratios: AllocationRatios,
): Promise<boolean> {
  try {
    await client.workflow
      .getHandle(hostWorkflowId(host))
      .executeUpdate(claimUpdate, { args: [{ claims, ratios }] });
    return true;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && (err.cause as ApplicationFailure)?.type === CLAIM_REFUSED)
      return false;
    throw err;
  }
}

/** Gives claims back, one signal per host; releasing a key twice is harmless. */
export async function releaseClaimsOn(
  client: Client,
  claims: { host: string; key: string }[],
): Promise<void> {
  const byHost = new Map<string, string[]>();
  for (const c of claims) byHost.set(c.host, [...(byHost.get(c.host) ?? []), c.key]);
  await Promise.all(
    [...byHost].map(([host, keys]) =>
      client.workflow.getHandle(hostWorkflowId(host)).signal(releaseClaimsSignal, { keys }),
    ),
  );
}

/** A compute node's registration and heartbeat: starts its host entity the first time. */
export async function reportHost(client: Client, host: string, report: HostReport): Promise<void> {
  await client.workflow.signalWithStart<typeof hostWorkflow, [HostReport]>('hostWorkflow', {
    workflowId: hostWorkflowId(host),
    taskQueue: CONTROL_TASK_QUEUE,
    args: [{ name: host }],
    signal: hostReportSignal,
    signalArgs: [report],
    typedSearchAttributes: [
      { key: NovaKind, value: 'host' },
      { key: NovaHost, value: host },
    ],
  });
}

/** Enables or disables a host for new servers. */
export function setHostEnabled(
  client: Client,
  host: string,
  enabled: boolean,
  reason: string | null,
): Promise<HostState> {
  return client.workflow
    .getHandle(hostWorkflowId(host))
    .executeUpdate(setHostEnabledUpdate, { args: [{ enabled, reason }] });
}

/** One host's state (strongly consistent); undefined for a host that never registered. */
export async function hostState(client: Client, host: string): Promise<HostState | undefined> {
  try {
    return await client.workflow.getHandle(hostWorkflowId(host)).query(hostStateQuery);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
