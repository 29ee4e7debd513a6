import { badRequest, conflict } from '../../common/errors';
import type { CreateValidator } from '../types';
import { inPool, ipToInt, poolSize } from './ipam';
import { Cached } from '../../common/concurrency';
import {
  exactUsedAddresses,
  listPorts,
  networkVisibleTo,
  planNics,
  READ_TTL_MS,
  recentReads,
  usedAddresses,
} from './client';

/** The one security group every project has. */
export const DEFAULT_SECURITY_GROUP = 'default';

/**
 * Nova's checks of a create's `networks`, before anything starts: every network named exists for the
 * caller and has a subnet, a fixed address is free in it, `auto` is not ambiguous, and each network
 * has an address left for every server the request needs at least. Reads of the catalog and of a
 * pool's usage up to a second old are shared by concurrent creates, but no create is refused on one.
 */
export const validateNetworks: CreateValidator = async (deps, caller, request) => {
  // Security groups are not offered beyond each project's `default` (which allows everything).
  const unknownGroup = request.securityGroups.find((g) => g !== DEFAULT_SECURITY_GROUP);
  if (unknownGroup !== undefined) throw badRequest(`Security group ${unknownGroup} not found.`);
  const r = recentReads(deps.client);
  const planOn = async (fresh: boolean) =>
    planNics(
      request.networks,
      (await r.catalog.get(fresh)).filter((n) => networkVisibleTo(n, caller)),
    );
  let plan = await planOn(false);
  // A refusal is never made on an old read: a network created a moment ago must be found.
  if ('problem' in plan) plan = await planOn(true);
  if ('problem' in plan) {
    switch (plan.problem) {
      case 'ambiguous':
        throw conflict('Multiple possible networks found, use a Network ID to be more specific.');
      case 'not-found':
        throw badRequest(`Network ${plan.id} could not be found.`);
      case 'no-subnet':
        throw badRequest(`Network ${plan.id} requires a subnet in order to boot instances on.`);
      case 'port':
        throw badRequest(`Port ${plan.id} could not be found.`);
    }
  }
  const needed = new Map<string, number>();
  for (const nic of plan.nics) {
    needed.set(nic.network.id, (needed.get(nic.network.id) ?? 0) + request.minCount);
    if (nic.fixedIp === undefined) continue;
    if (ipToInt(nic.fixedIp) === undefined) throw badRequest(`Invalid fixed IP address (${nic.fixedIp})`);
    if (!inPool(nic.network.subnet!, nic.fixedIp))
      throw badRequest(`IP address ${nic.fixedIp} is not a valid IP for the specified subnet.`);
    const held = await listPorts(deps.client, nic.network.id);
    if (held.some((p) => p.fixed_ips[0].ip_address === nic.fixedIp))
      throw badRequest(`Fixed IP address ${nic.fixedIp} is already in use.`);
  }
  for (const [id, count] of needed) {
    const network = plan.nics.find((n) => n.network.id === id)!.network;
    let usage = r.usage.get(id);
    if (!usage) r.usage.set(id, (usage = new Cached(() => usedAddresses(deps.client, id), READ_TTL_MS)));
    const size = poolSize(network.subnet!);
    const read = await usage.get();
    // Far from full, a second-old count within its slack is good enough (the build's allocation
    // decides anyway); near full, only a fresh one, and an exact one where the slack could decide.
    if (size - read.used - read.slack < count + Math.max(64, count)) {
      const fresh = await usage.get(true);
      let free = size - fresh.used;
      if (fresh.slack > 0 && free - fresh.slack < count)
        free = size - (await exactUsedAddresses(deps.client, id));
      if (free < count) throw conflict(`No more IP addresses available on network ${id}.`);
    }
  }
};
