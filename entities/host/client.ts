import type { Client } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { isNotFound } from '../client-errors';
import type { ApplicationFailure } from '@temporalio/common';
import { ADMISSION_TASK_QUEUE, computeServiceWorkflowId, hostWorkflowId } from '../../common/names';
import { NovaHost, NovaKind } from '../../common/search-attributes';
import { eq, oneOf, visibilityQuery } from '../../common/visibility';
import { mapLimit } from '../../common/concurrency';
import {
  claimUpdate,
  hostReportSignal,
  hostStateQuery,
  releaseClaimsSignal,
  serviceHeartbeatSignal,
  serviceStateQuery,
  setHostEnabledUpdate,
} from './messages';
import { CLAIM_REFUSED, serviceLiveness, withServiceLiveness, type ServiceLiveness } from './rules';
import type { AllocationRatios, ClaimRequest, HostReport, HostState, ServiceHeartbeat } from './types';
import type { hostWorkflow } from './workflow';
import type { computeServiceWorkflow } from './service-workflow';

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

/** Queries at once when reading many entities one by one. */
const QUERY_CONCURRENCY = 64;

/** The liveness of each named compute service (a query each); services never started are left out. */
async function loadServices(client: Client, names: Iterable<string>): Promise<Map<string, ServiceLiveness>> {
  const out = new Map<string, ServiceLiveness>();
  await mapLimit([...new Set(names)], QUERY_CONCURRENCY, async (name) => {
    const state = await client.workflow
      .getHandle(computeServiceWorkflowId(name))
      .query(serviceStateQuery)
      .catch(() => null);
    if (state) out.set(name, serviceLiveness(state));
  });
  return out;
}

/** The current state of each host (a query each, so it is strongly consistent), with its service's liveness. */
export async function loadHostStates(client: Client, names?: string[]): Promise<HostState[]> {
  const all = names ?? (await listHostNames(client));
  const states = await mapLimit(all, QUERY_CONCURRENCY, (name) =>
    client.workflow
      .getHandle(hostWorkflowId(name))
      .query(hostStateQuery)
      .catch(() => null),
  );
  const found = states.filter((s): s is HostState => s !== null);
  const services = await loadServices(
    client,
    found.flatMap((s) => (s.service ? [s.service] : [])),
  );
  return found.map((s) => withServiceLiveness(s, services));
}

/** Visibility query of every host entity and every compute service, for `listHostStates`. */
const HOSTS_AND_SERVICES_QUERY = visibilityQuery(
  oneOf(NovaKind, ['host', 'compute-service']),
  eq('ExecutionStatus', 'Running'),
);

/**
 * Every host's state in one visibility listing: each host entity publishes its state in its memo, and
 * each compute service its heartbeats. Eventually consistent (visibility lags the entities by
 * milliseconds): good for a plan, whose claims each host entity still validates, and for a view; a
 * host whose memo is not there yet (an entity that has not published) is queried instead.
 */
export async function listHostStates(client: Client): Promise<HostState[]> {
  const hosts = new Map<string, HostState>();
  const unpublished: string[] = [];
  const services = new Map<string, ServiceLiveness>();
  for await (const wf of client.workflow.list({ query: HOSTS_AND_SERVICES_QUERY, pageSize: 1000 })) {
    const memo = wf.memo ?? {};
    if (wf.workflowId.startsWith('host/')) {
      const name = wf.workflowId.slice('host/'.length);
      if (memo.host) hosts.set(name, memo.host as HostState);
      else unpublished.push(name);
    } else if (typeof memo.heartbeat === 'number') {
      services.set(wf.workflowId.slice('compute-service/'.length), {
        lastHeartbeat: memo.heartbeat,
        hosts: new Set((memo.hosts as string[] | undefined) ?? []),
      });
    }
  }
  const listed = [...hosts.values()].map((s) => withServiceLiveness(s, services));
  const queried = unpublished.length > 0 ? await loadHostStates(client, unpublished.sort()) : [];
  return [...listed, ...queried].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
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

/**
 * A compute service's heartbeat: starts its entity the first time. `hosts` when the set it serves
 * changed (and at the process's first heartbeat).
 */
export async function heartbeatService(
  client: Client,
  service: string,
  heartbeat: ServiceHeartbeat,
): Promise<void> {
  await client.workflow.signalWithStart<typeof computeServiceWorkflow, [ServiceHeartbeat]>(
    'computeServiceWorkflow',
    {
      workflowId: computeServiceWorkflowId(service),
      taskQueue: ADMISSION_TASK_QUEUE,
      args: [{ name: service }],
      signal: serviceHeartbeatSignal,
      signalArgs: [heartbeat],
      typedSearchAttributes: [{ key: NovaKind, value: 'compute-service' }],
    },
  );
}

/** A compute node's registration, and its report when its inventory changes: starts its host entity the first time. */
export async function reportHost(client: Client, host: string, report: HostReport): Promise<void> {
  await client.workflow.signalWithStart<typeof hostWorkflow, [HostReport]>('hostWorkflow', {
    workflowId: hostWorkflowId(host),
    taskQueue: ADMISSION_TASK_QUEUE,
    args: [{ name: host }],
    signal: hostReportSignal,
    signalArgs: [report],
    typedSearchAttributes: [
      { key: NovaKind, value: 'host' },
      { key: NovaHost, value: host },
    ],
  });
}

/**
 * How long a host this process changed is read by query in views, not from its memo: far longer than
 * visibility lags behind the entity (milliseconds on the dev server, about a second on a cluster).
 */
export const READ_YOUR_WRITES_MS = 10_000;

/** Hosts each client (each process) changed, and when: views read them by query for a while. */
const changedBy = new WeakMap<Client, Map<string, number>>();

/**
 * Every host's state for the API's views (os-services, os-hypervisors, availability zones): one
 * visibility listing — a query to each host took 10-24 s at 1000 hosts — except the hosts this
 * process changed in the last `READ_YOUR_WRITES_MS`, which are queried, so a caller who disables a
 * host sees it disabled in the next list. A change made through another API process shows once
 * visibility has it. Allocations and heartbeats are as fresh as the listing.
 */
export async function viewHostStates(client: Client): Promise<HostState[]> {
  const changed = changedBy.get(client);
  const now = Date.now();
  for (const [host, at] of changed ?? []) if (now - at > READ_YOUR_WRITES_MS) changed!.delete(host);
  const listed = await listHostStates(client);
  if (!changed || changed.size === 0) return listed;
  const fresh = new Map((await loadHostStates(client, [...changed.keys()])).map((s) => [s.name, s]));
  return listed.map((s) => fresh.get(s.name) ?? s);
}

/** Enables or disables a host for new servers; this process's views read it by query for a while. */
export async function setHostEnabled(
  client: Client,
  host: string,
  enabled: boolean,
  reason: string | null,
): Promise<HostState> {
  const state = await client.workflow
    .getHandle(hostWorkflowId(host))
    .executeUpdate(setHostEnabledUpdate, { args: [{ enabled, reason }] });
  const changed = changedBy.get(client) ?? new Map<string, number>();
  changedBy.set(client, changed);
  changed.set(host, Date.now());
  return state;
}

/** One host's state (strongly consistent); undefined for a host that never registered. */
export async function hostState(client: Client, host: string): Promise<HostState | undefined> {
  let state: HostState;
  try {
    state = await client.workflow.getHandle(hostWorkflowId(host)).query(hostStateQuery);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  return withServiceLiveness(state, await loadServices(client, state.service ? [state.service] : []));
}
