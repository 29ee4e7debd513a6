import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { ADMISSION_TASK_QUEUE, CONTROL_TASK_QUEUE } from '../../common/names';
import { nameUuid } from '../../common/ids';
import { Cached, GroupCommit } from '../../common/concurrency';
import type { Caller } from '../../common/types';
import { isNotFound } from '../../entities/client-errors';
import type { RequestedNetworks } from '../../entities/server/types';
import { DEFAULT_NETWORKS } from './defaults';
import {
  allocatePortsUpdate,
  deleteNetworkUpdate,
  IPAM_REVISION,
  type IpamMemo,
  type AllocateOutcome,
  ipamWorkflowId,
  listPortsQuery,
  NETWORK_CATALOG_ID,
  putNetworkUpdate,
  releasePortsUpdate,
  usedAddressesQuery,
} from './messages';
import type { AllocateRequest, NetworkRecord, PortRecord } from './types';
import type { ipamWorkflow, networkCatalogWorkflow } from './workflow';

/** The shipped networks plus those admins created. */
export async function listNetworks(client: Client): Promise<NetworkRecord[]> {
  let created: NetworkRecord[] = [];
  try {
    // The catalog's memo, read by a describe: the Temporal server answers it without a worker.
    const { memo } = await client.workflow.getHandle(NETWORK_CATALOG_ID).describe();
    created = (memo?.networks as NetworkRecord[] | undefined) ?? [];
  } catch (err) {
    if (!isNotFound(err)) throw err; // no network created yet
  }
  return [...DEFAULT_NETWORKS.filter((d) => !created.some((c) => c.id === d.id)), ...created];
}

export function networkVisibleTo(n: NetworkRecord, caller: Pick<Caller, 'isAdmin' | 'projectId'>): boolean {
  return caller.isAdmin || n.shared || n.project_id === caller.projectId;
}

const catalogStart = () =>
  new WithStartWorkflowOperation<typeof networkCatalogWorkflow>('networkCatalogWorkflow', {
    workflowId: NETWORK_CATALOG_ID,
    taskQueue: CONTROL_TASK_QUEUE,
    args: [{}],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });

/** How old a read admission may act on before it asks again (never before it refuses). */
export const READ_TTL_MS = 1000;

/** One API process's recent reads of the catalog and of each pool's usage, shared by its creates. */
export interface RecentReads {
  catalog: Cached<NetworkRecord[]>;
  usage: Map<string, Cached<Required<IpamMemo>>>;
}
const readsOf = new WeakMap<Client, RecentReads>();

export function recentReads(client: Client): RecentReads {
  let r = readsOf.get(client);
  if (!r)
    readsOf.set(
      client,
      (r = { catalog: new Cached(() => listNetworks(client), READ_TTL_MS), usage: new Map() }),
    );
  return r;
}

/** Writes through this process forget its recent reads; another API replica's lag by a second at most. */
export async function putNetwork(client: Client, record: NetworkRecord): Promise<NetworkRecord> {
  try {
    return await client.workflow.executeUpdateWithStart(putNetworkUpdate, {
      args: [record],
      startWorkflowOperation: catalogStart(),
    });
  } finally {
    readsOf.delete(client);
  }
}

export async function deleteNetwork(client: Client, id: string): Promise<void> {
  try {
    await client.workflow.executeUpdateWithStart(deleteNetworkUpdate, {
      args: [{ id }],
      startWorkflowOperation: catalogStart(),
    });
  } finally {
    readsOf.delete(client);
  }
}

/**
 * How many of a network's addresses are given out, from its entity's memo (no worker involved):
 * within `slack` of the true count (0 for an entity that publishes every change).
 */
export async function usedAddresses(client: Client, networkId: string): Promise<Required<IpamMemo>> {
  try {
    const { memo } = await client.workflow.getHandle(ipamWorkflowId(networkId)).describe();
    return { used: Number(memo?.used ?? 0), slack: Number(memo?.slack ?? 0) };
  } catch (err) {
    if (isNotFound(err)) return { used: 0, slack: 0 };
    throw err;
  }
}

/** How many of a network's addresses are given out, exactly (a query: its entity's worker answers). */
export async function exactUsedAddresses(client: Client, networkId: string): Promise<number> {
  try {
    return await client.workflow.getHandle(ipamWorkflowId(networkId)).query(usedAddressesQuery);
  } catch (err) {
    if (isNotFound(err)) return 0;
    throw err;
  }
}

/** A network's ports (none when no address was ever given out on it). */
export async function listPorts(client: Client, networkId: string): Promise<PortRecord[]> {
  try {
    return await client.workflow.getHandle(ipamWorkflowId(networkId)).query(listPortsQuery);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

/**
 * The address entities' writer in one process: allocations (and releases) for one network that
 * arrive while its entity decides others go out together in its next update, so a burst of builds
 * costs that entity a few workflow tasks, not one each.
 */
export class Ipam {
  private readonly allocations: GroupCommit<AllocateRequest, AllocateOutcome>;
  private readonly releases: GroupCommit<string, number>;

  constructor(client: Client) {
    this.allocations = new GroupCommit((networkId, reqs) =>
      client.workflow.executeUpdateWithStart(allocatePortsUpdate, {
        args: [reqs],
        startWorkflowOperation: new WithStartWorkflowOperation<typeof ipamWorkflow>('ipamWorkflow', {
          workflowId: ipamWorkflowId(networkId),
          taskQueue: ADMISSION_TASK_QUEUE,
          args: [{ networkId, revision: IPAM_REVISION }],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      }),
    );
    this.releases = new GroupCommit(async (networkId, owners) => {
      try {
        const n = await client.workflow
          .getHandle(ipamWorkflowId(networkId))
          .executeUpdate(releasePortsUpdate, { args: [{ owners }] });
        return owners.map(() => n);
      } catch (err) {
        // A network that never gave out an address has none to take back.
        if (isNotFound(err)) return owners.map(() => 0);
        throw err;
      }
    });
  }

  /** A port for one NIC: the same key answers the same port; a refusal is the network's reason. */
  allocate(networkId: string, req: AllocateRequest): Promise<AllocateOutcome> {
    return this.allocations.submit(networkId, req);
  }

  /** Gives back every port the server owns on this network. */
  async release(networkId: string, owner: string): Promise<void> {
    await this.releases.submit(networkId, owner);
  }
}

/** A NIC's port id and MAC: derived from the server, the NIC's index and the network, so stable. */
export function portIdentity(
  serverId: string,
  index: number,
  networkId: string,
): { id: string; mac: string } {
  const id = nameUuid('port', `${serverId}#${index}#${networkId}`);
  const h = createHash('sha1').update(id).digest('hex');
  return { id, mac: `fa:16:3e:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}` };
}

/** One NIC a server gets: a network and, when asked for, a fixed address. */
export interface Nic {
  network: NetworkRecord;
  fixedIp?: string;
}

export type NicPlan =
  { nics: Nic[] } | { problem: 'not-found' | 'no-subnet' | 'port'; id: string } | { problem: 'ambiguous' };

/**
 * Which networks a create's `networks` names for this project: `none` none; `auto` (or nothing) the
 * one network the project can use, if exactly one has a subnet; a list, each entry by `uuid`.
 */
export function planNics(requested: RequestedNetworks | undefined, visible: NetworkRecord[]): NicPlan {
  if (requested === 'none') return { nics: [] };
  if (requested === undefined || requested === 'auto') {
    const usable = visible.filter((n) => n.subnet);
    if (usable.length > 1) return { problem: 'ambiguous' };
    return { nics: usable.map((network) => ({ network })) };
  }
  const nics: Nic[] = [];
  for (const entry of requested) {
    if (entry.port) return { problem: 'port', id: entry.port };
    if (!entry.uuid) continue;
    const network = visible.find((n) => n.id === entry.uuid!.toLowerCase());
    if (!network) return { problem: 'not-found', id: entry.uuid };
    if (!network.subnet) return { problem: 'no-subnet', id: entry.uuid };
    nics.push({ network, ...(entry.fixed_ip ? { fixedIp: entry.fixed_ip } : {}) });
  }
  return { nics };
}
