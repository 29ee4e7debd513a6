import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { BUILD_ABORT } from '../../common/errors';
import type {
  PrepareStepInput,
  PrepareStepResult,
  ReleaseStepInput,
} from '../../entities/reservation/stages';
import { Ipam, listNetworks, networkVisibleTo, planNics, portIdentity, recentReads } from './client';
import type { PortRecord } from './types';

const abort = (message: string) =>
  ApplicationFailure.create({ type: BUILD_ABORT, message, nonRetryable: true });

/** A port as Nova's server view lists it under `addresses`. */
function address(port: PortRecord) {
  return {
    version: 4,
    addr: port.fixed_ips[0].ip_address,
    'OS-EXT-IPS:type': 'fixed',
    'OS-EXT-IPS-MAC:mac_addr': port.mac_address,
  };
}

/**
 * The networks build step, on the control worker: before each spawn, one port per NIC the create
 * asked for, each decided by its network's `ipam/<id>` entity; after a failed attempt or a delete,
 * every port the server holds on any network it could have used.
 */
export function networkActivities({ client }: { client: Client }) {
  const ipam = new Ipam(client);
  // Networks a list names were checked against the caller at create (an admin may name any);
  // `auto` picks among those the server's project may use. A catalog read up to a second old serves
  // a burst of builds; a build is never aborted on one.
  const planFor = async (server: PrepareStepInput['server']) => {
    const on = async (fresh: boolean) => {
      const all = await recentReads(client).catalog.get(fresh);
      const usable = Array.isArray(server.networks)
        ? all
        : all.filter((n) => networkVisibleTo(n, { isAdmin: false, projectId: server.projectId }));
      return planNics(server.networks, usable);
    };
    const plan = await on(false);
    return 'nics' in plan ? plan : on(true);
  };
  return {
    async networksPrepare({ server, host }: PrepareStepInput): Promise<PrepareStepResult> {
      const plan = await planFor(server);
      if (!('nics' in plan))
        throw abort(`Networks of server ${server.id} cannot be resolved (${plan.problem}).`);
      const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const ports: PortRecord[] = [];
      for (const [index, nic] of plan.nics.entries()) {
        const subnet = nic.network.subnet!;
        const { id, mac } = portIdentity(server.id, index, nic.network.id);
        const outcome = await ipam.allocate(nic.network.id, {
          key: `${server.id}#${index}`,
          portId: id,
          mac,
          owner: server.id,
          projectId: server.projectId,
          deviceOwner: `compute:${server.availabilityZone ?? 'nova'}`,
          subnet,
          ...(nic.fixedIp ? { fixedIp: nic.fixedIp } : {}),
          at,
        });
        // The network's refusal (no address left, fixed address taken) is the build's answer.
        if ('refused' in outcome) throw abort(outcome.refused);
        ports.push(outcome.port);
      }
      const addresses: Record<string, ReturnType<typeof address>[]> = {};
      for (const [i, port] of ports.entries())
        (addresses[plan.nics[i].network.name] ??= []).push(address(port));
      return {
        view: { addresses, ports: ports.map((p) => p.id) },
        guest: {
          host,
          interfaces: ports.map((p, i) => ({
            mac: p.mac_address,
            address: p.fixed_ips[0].ip_address,
            cidr: plan.nics[i].network.subnet!.cidr,
            gateway: plan.nics[i].network.subnet!.gateway_ip,
            network: plan.nics[i].network.name,
          })),
        },
      };
    },
    async networksRelease({ server }: ReleaseStepInput): Promise<void> {
      // Every network the server could hold a port on: those it named, or any it may use for `auto`.
      const named = Array.isArray(server.networks)
        ? new Set(server.networks.map((n) => n.uuid?.toLowerCase()))
        : undefined;
      for (const n of await listNetworks(client)) {
        if (named ? named.has(n.id) : networkVisibleTo(n, { isAdmin: false, projectId: server.projectId }))
          await ipam.release(n.id, server.id);
      }
    },
  };
}
