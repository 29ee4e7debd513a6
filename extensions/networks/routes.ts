import express, { Router, type Request } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ApiDeps } from '../../api/context';
import { ctx } from '../../api/context';
import { parseBody } from '../../api/schemas/validate';
import { badRequest, conflict, forbidden, notFound } from '../../common/errors';
import { deleteNetwork, listNetworks, listPorts, networkVisibleTo, putNetwork } from './client';
import { DEFAULT_NETWORKS } from './defaults';
import { ipToInt, parseCidr, subnetLayout } from './ipam';
import type { NetworkRecord, PortRecord, SubnetRecord } from './types';

/** Neutron v2.0's read API over novaflow's networks, plus an admin's network and subnet create. */

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function networkView(n: NetworkRecord) {
  return {
    id: n.id,
    name: n.name,
    tenant_id: n.project_id,
    project_id: n.project_id,
    shared: n.shared,
    status: 'ACTIVE',
    admin_state_up: true,
    subnets: n.subnet ? [n.subnet.id] : [],
    'router:external': false,
    mtu: 1450,
    port_security_enabled: true,
    availability_zones: ['nova'],
    description: '',
    tags: [],
    created_at: n.created_at,
    updated_at: n.updated_at,
  };
}

function subnetView(s: SubnetRecord) {
  return {
    ...s,
    tenant_id: s.project_id,
    dns_nameservers: [],
    host_routes: [],
    ipv6_ra_mode: null,
    ipv6_address_mode: null,
    description: '',
    tags: [],
  };
}

function portView(p: PortRecord) {
  const { key: _key, ...port } = p;
  return {
    ...port,
    name: '',
    tenant_id: p.project_id,
    status: 'ACTIVE',
    admin_state_up: true,
    binding_vnic_type: 'normal',
    security_groups: [],
    allowed_address_pairs: [],
    description: '',
    tags: [],
    updated_at: p.created_at,
  };
}

/** Neutron's filters: `?field=value`, repeated for any of several values; unknown fields are ignored. */
function filtered<T extends Record<string, unknown>>(req: Request, items: T[], fields: string[]): T[] {
  return items.filter((item) =>
    fields.every((f) => {
      const want = req.query[f];
      if (want === undefined) return true;
      const values = (Array.isArray(want) ? want : [want]).map(String);
      return values.includes(String(item[f]));
    }),
  );
}

export const CreateNetwork = z
  .object({
    network: z
      .object({
        name: z.string().max(255).optional(),
        shared: z.boolean().optional(),
        project_id: z.string().max(64).optional(),
        tenant_id: z.string().max(64).optional(),
        admin_state_up: z.boolean().optional(),
        description: z.string().max(255).optional(),
      })
      .strict(),
  })
  .strict();

export const CreateSubnet = z
  .object({
    subnet: z
      .object({
        network_id: z.string().uuid(),
        cidr: z.string(),
        ip_version: z.literal(4),
        name: z.string().max(255).optional(),
        gateway_ip: z.string().nullable().optional(),
        enable_dhcp: z.boolean().optional(),
        project_id: z.string().max(64).optional(),
        tenant_id: z.string().max(64).optional(),
        description: z.string().max(255).optional(),
      })
      .strict(),
  })
  .strict();

/** A network the caller may change: their project's own, or any for an admin (Neutron's 403 otherwise). */
function ownNetwork(req: Request, n: NetworkRecord): NetworkRecord {
  const { caller } = ctx(req);
  if (!caller.isAdmin && n.project_id !== caller.projectId)
    throw forbidden(`Network ${n.id} belongs to another project: only an admin may change it.`);
  return n;
}

export function networkRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.use(express.json({ limit: '64kb', type: () => true }));

  const visible = async (req: Request) =>
    (await listNetworks(deps.client)).filter((n) => networkVisibleTo(n, ctx(req).caller));
  const find = async (req: Request, id: string) => {
    const n = (await visible(req)).find((x) => x.id === id);
    if (!n) throw notFound(`Network ${id} could not be found.`);
    return n;
  };
  const ports = async (req: Request) => {
    const { caller } = ctx(req);
    const all = (await Promise.all((await visible(req)).map((n) => listPorts(deps.client, n.id)))).flat();
    return all.filter((p) => caller.isAdmin || p.project_id === caller.projectId).map(portView);
  };

  r.get('/v2.0/networks', async (req, res) => {
    const views = (await visible(req)).map(networkView);
    res.json({
      networks: filtered(req, views, [
        'id',
        'name',
        'shared',
        'project_id',
        'tenant_id',
        'router:external',
        'status',
      ]),
    });
  });
  r.get('/v2.0/networks/:id', async (req, res) => {
    res.json({ network: networkView(await find(req, req.params.id)) });
  });
  r.post('/v2.0/networks', async (req, res) => {
    const { network: body } = parseBody(CreateNetwork, req.body ?? {});
    const { caller } = ctx(req);
    // As in Neutron: members make networks of their own project; sharing one, or making one for
    // another project, is an admin's.
    const project = body.project_id ?? body.tenant_id ?? caller.projectId;
    if (!caller.isAdmin && (body.shared || project !== caller.projectId))
      throw forbidden('(rule:create_network and rule:create_network:shared) is disallowed by policy');
    const at = now();
    const record: NetworkRecord = {
      id: randomUUID(),
      name: body.name ?? '',
      project_id: project,
      shared: body.shared ?? false,
      created_at: at,
      updated_at: at,
      subnet: null,
    };
    res.status(201).json({ network: networkView(await putNetwork(deps.client, record)) });
  });
  r.delete('/v2.0/networks/:id', async (req, res) => {
    const n = ownNetwork(req, await find(req, req.params.id));
    if (DEFAULT_NETWORKS.some((d) => d.id === n.id))
      throw forbidden(`Network ${n.id} is shipped with the cloud and cannot be deleted.`);
    if ((await listPorts(deps.client, n.id)).length > 0)
      throw conflict(
        `Unable to complete operation on network ${n.id}. There are one or more ports still in use on the network.`,
      );
    await deleteNetwork(deps.client, n.id);
    res.status(204).end();
  });

  r.get('/v2.0/subnets', async (req, res) => {
    const subnets = (await visible(req)).flatMap((n) => (n.subnet ? [subnetView(n.subnet)] : []));
    res.json({
      subnets: filtered(req, subnets, ['id', 'name', 'network_id', 'cidr', 'ip_version', 'project_id']),
    });
  });
  r.get('/v2.0/subnets/:id', async (req, res) => {
    const n = (await visible(req)).find((x) => x.subnet?.id === req.params.id);
    if (!n?.subnet) throw notFound(`Subnet ${req.params.id} could not be found.`);
    res.json({ subnet: subnetView(n.subnet) });
  });
  r.post('/v2.0/subnets', async (req, res) => {
    const { subnet: body } = parseBody(CreateSubnet, req.body ?? {});
    const n = ownNetwork(req, await find(req, body.network_id));
    if (n.subnet) throw badRequest(`Network ${n.id} already has a subnet; novaflow networks have one.`);
    if (!parseCidr(body.cidr))
      throw badRequest(
        `Invalid input for cidr. Reason: '${body.cidr}' is not a valid IPv4 subnet (/8 to /30).`,
      );
    const range = parseCidr(body.cidr)!;
    if (body.gateway_ip) {
      const g = ipToInt(body.gateway_ip);
      if (g === undefined || g <= range.first || g >= range.last)
        throw badRequest(
          `Invalid input for gateway_ip. Reason: '${body.gateway_ip}' is not in ${body.cidr}.`,
        );
    }
    const at = now();
    const subnet: SubnetRecord = {
      id: randomUUID(),
      name: body.name ?? '',
      network_id: n.id,
      project_id: n.project_id,
      cidr: body.cidr,
      ip_version: 4,
      ...subnetLayout(body.cidr, body.gateway_ip),
      enable_dhcp: body.enable_dhcp ?? true,
      created_at: at,
      updated_at: at,
    };
    await putNetwork(deps.client, { ...n, subnet, updated_at: at });
    res.status(201).json({ subnet: subnetView(subnet) });
  });

  r.delete('/v2.0/subnets/:id', async (req, res) => {
    const found = (await visible(req)).find((x) => x.subnet?.id === req.params.id);
    if (!found?.subnet) throw notFound(`Subnet ${req.params.id} could not be found.`);
    const n = ownNetwork(req, found);
    if (DEFAULT_NETWORKS.some((d) => d.id === n.id))
      throw forbidden(`Subnet ${req.params.id} is shipped with the cloud and cannot be deleted.`);
    if ((await listPorts(deps.client, n.id)).length > 0)
      throw conflict(
        `Unable to complete operation on subnet ${req.params.id}: One or more ports have an IP allocation from this subnet.`,
      );
    await putNetwork(deps.client, { ...n, subnet: null, updated_at: now() });
    res.status(204).end();
  });

  r.get('/v2.0/ports', async (req, res) => {
    res.json({
      ports: filtered(req, await ports(req), [
        'id',
        'device_id',
        'network_id',
        'device_owner',
        'mac_address',
        'project_id',
      ]),
    });
  });
  r.get('/v2.0/ports/:id', async (req, res) => {
    const port = (await ports(req)).find((p) => p.id === req.params.id);
    if (!port) throw notFound(`Port ${req.params.id} could not be found.`);
    res.json({ port });
  });
  // novaflow has no floating IPs or routers: clients that look for them find none.
  r.get('/v2.0/floatingips', (_req, res) => {
    res.json({ floatingips: [] });
  });
  r.get('/v2.0/extensions', (_req, res) => {
    res.json({ extensions: [] });
  });
  return r;
}

/** Neutron's version document at the service root, as keystoneauth's discovery reads it. */
export function networkVersions(baseUrl: string): unknown {
  return {
    versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${baseUrl}/v2.0/` }] }],
  };
}
