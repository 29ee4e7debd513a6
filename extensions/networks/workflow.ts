import { packPorts, unpackPorts, type PackedPorts } from './ports-pack';
import { makeContinueAsNewFunc, setHandler, upsertMemo } from '@temporalio/workflow';
import { ADMISSION_TASK_QUEUE } from '../../common/names';
import { untilContinueAsNew } from '../../workflows/entity';
import { inPool, lowestFree } from './ipam';
import {
  allocatePortsUpdate,
  deleteNetworkUpdate,
  type AllocateOutcome,
  IPAM_REVISION,
  type IpamMemo,
  listNetworksQuery,
  listPortsQuery,
  putNetworkUpdate,
  releasePortsUpdate,
  USED_SLACK,
  usedAddressesQuery,
} from './messages';
import type { AllocateRequest, NetworkRecord, PortRecord } from './types';

/**
 * network-catalog: the networks admins created (the shipped one lives in code). Small, and every
 * change is one update decided in order.
 */
export async function networkCatalogWorkflow(input: { networks?: NetworkRecord[] } = {}): Promise<void> {
  const networks = new Map((input.networks ?? []).map((n) => [n.id, n]));
  // Readers describe the workflow (answered by the server, no worker) instead of querying it.
  const publish = () => upsertMemo({ networks: [...networks.values()] });
  publish();
  setHandler(listNetworksQuery, () => [...networks.values()]);
  setHandler(putNetworkUpdate, (record) => {
    networks.set(record.id, record);
    publish();
    return record;
  });
  setHandler(deleteNetworkUpdate, ({ id }) => {
    networks.delete(id);
    publish();
  });
  await untilContinueAsNew();
  await makeContinueAsNewFunc<typeof networkCatalogWorkflow>()({ networks: [...networks.values()] });
}

/**
 * ipam/<network id>: one network's addresses. Every allocation and release is an update decided in
 * order, so two builds never get one address, and the same NIC asked for again (a retried activity,
 * a replayed build) gets the port it already has instead of a second one.
 */
export async function ipamWorkflow(input: {
  networkId: string;
  ports?: PortRecord[];
  packed?: PackedPorts;
  /** IPAM_REVISION when started or continued by code that has it; absent: 0. */
  revision?: number;
}): Promise<void> {
  const ports = new Map(
    [...(input.ports ?? []), ...(input.packed ? unpackPorts(input.networkId, input.packed) : [])].map((p) => [
      p.key,
      p,
    ]),
  );
  const used = () => new Set([...ports.values()].flatMap((p) => p.fixed_ips.map((f) => f.ip_address)));
  // How many addresses are given out, for admission's check without a query (which waits for a worker).
  // From revision 1 within USED_SLACK: a memo change is a visibility write, and a build's allocation
  // decides anyway; admission asks usedAddressesQuery when the slack could make the difference.
  const slack = (input.revision ?? 0) >= 1 ? USED_SLACK : 0;
  let published: number | undefined;
  const publish = () => {
    if (slack > 0 && published !== undefined && Math.abs(ports.size - published) < slack) return;
    published = ports.size;
    upsertMemo(slack > 0 ? ({ used: published, slack } satisfies IpamMemo) : { used: published });
  };
  publish();
  setHandler(listPortsQuery, () => [...ports.values()]);
  setHandler(usedAddressesQuery, () => ports.size);
  const allocate = (req: AllocateRequest, taken: Set<string>): AllocateOutcome => {
    const held = ports.get(req.key);
    if (held) return { port: held };
    let ip: string | undefined;
    if (req.fixedIp !== undefined) {
      if (!inPool(req.subnet, req.fixedIp) || taken.has(req.fixedIp))
        return { refused: `Fixed IP address ${req.fixedIp} is already in use.` };
      ip = req.fixedIp;
    } else {
      ip = lowestFree(req.subnet, taken);
    }
    if (ip === undefined) return { refused: `No more IP addresses available on network ${input.networkId}.` };
    const port: PortRecord = {
      id: req.portId,
      key: req.key,
      network_id: input.networkId,
      project_id: req.projectId,
      device_id: req.owner,
      device_owner: req.deviceOwner,
      mac_address: req.mac,
      fixed_ips: [{ subnet_id: req.subnet.id, ip_address: ip }],
      created_at: req.at,
    };
    ports.set(req.key, port);
    taken.add(ip);
    return { port };
  };
  setHandler(allocatePortsUpdate, (reqs) => {
    const taken = used();
    const outcomes = reqs.map((req) => allocate(req, taken));
    publish();
    return outcomes;
  });
  setHandler(releasePortsUpdate, ({ owners }) => {
    const gone = new Set(owners);
    let n = 0;
    for (const [key, p] of ports)
      if (gone.has(p.device_id)) {
        ports.delete(key);
        n++;
      }
    if (n > 0) publish();
    return n;
  });
  await untilContinueAsNew();
  // Packed: a port costs ~100 bytes instead of ~350, so ten thousand servers' ports carry into the
  // next run in ~1 MB, under Temporal's 2 MB per payload (as records they passed it at ~5,700).
  // On the admission queue: a pool started on the control queue (before pools moved) moves there.
  await makeContinueAsNewFunc<typeof ipamWorkflow>({ taskQueue: ADMISSION_TASK_QUEUE })({
    networkId: input.networkId,
    packed: packPorts([...ports.values()]),
    revision: IPAM_REVISION,
  });
}
