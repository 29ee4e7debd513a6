import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { serverStatus } from '../../common/status';
import { parseAvailabilityZone } from '../../common/zones';
import type { ServerRecord } from '../../entities/server/types';
import type { ServerMemoView } from '../../entities/server/rules';
import { atLeast, ctx } from '../context';
import { links } from './links';
import { novaLocalTime } from './time';

import type { ViewDecorator } from '../../extensions/types';

export type { ViewDecorator };

/** The statuses whose view shows `progress` (Nova's). */
const PROGRESS_STATUSES = new Set(['ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING']);

/** Nova's hostId: sha224 of project id and host, so tenants can tell co-located servers apart. */
export function hostId(projectId: string, host: string | null): string {
  return host
    ? createHash('sha224')
        .update(projectId + host)
        .digest('hex')
    : '';
}

function bookmark(req: Request, collection: string, id: string) {
  return [links(req, collection, id)[1]];
}

/** The server's hostname: the one its create or update gave (2.90), else made from its name as Nova does. */
export function serverHostname(s: Pick<ServerMemoView, 'name' | 'hostname'>): string {
  return (
    s.hostname ??
    (s.name
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 63) ||
      'server')
  );
}

/** The summary view of `GET /servers`. */
export function serverSummary(req: Request, s: Pick<ServerRecord, 'id' | 'name'>) {
  return { id: s.id, name: s.name, links: links(req, 'servers', s.id) };
}

/** What Nova's update view (before 2.75) does not show of the full one. */
const UPDATE_LEAVES_OUT = [
  'OS-EXT-AZ:availability_zone',
  'config_drive',
  'key_name',
  'OS-SRV-USG:launched_at',
  'OS-SRV-USG:terminated_at',
  'security_groups',
  'OS-EXT-STS:vm_state',
  'OS-EXT-STS:task_state',
  'OS-EXT-STS:power_state',
  'os-extended-volumes:volumes_attached',
];

/** The full view of `GET /servers/{id}` and `/servers/detail`. */
export function serverDetail(
  req: Request,
  s: ServerMemoView | ServerRecord,
  decorators: ViewDecorator[] = [],
  /**
   * `update`: the answer of `PUT /servers/{id}` and rebuild, which before 2.75 leaves out zone, key,
   * usage, groups, states and volumes; `list`: an item of `/servers/detail`, which never shows
   * `server_groups` (2.71).
   */
  opts: { update?: boolean; list?: boolean } = {},
) {
  const { caller } = ctx(req);
  const status = serverStatus(s.vmState, s.taskState);
  const view: Record<string, unknown> = {
    id: s.id,
    name: s.name,
    status,
    tenant_id: s.projectId,
    user_id: s.userId,
    metadata: s.metadata,
    created: s.created,
    updated: s.updated,
    hostId: hostId(s.projectId, s.host),
    image: s.imageRef ? { id: s.imageRef, links: bookmark(req, 'images', s.imageRef) } : '',
    flavor: atLeast(req, 47)
      ? {
          vcpus: s.flavor.vcpus,
          ram: s.flavor.ram,
          disk: s.flavor.disk,
          ephemeral: s.flavor.ephemeral,
          swap: s.flavor.swap,
          original_name: s.flavor.name,
          extra_specs: s.flavor.extraSpecs ?? {},
        }
      : { id: s.flavor.id, links: bookmark(req, 'flavors', s.flavor.id) },
    addresses: {},
    accessIPv4: s.accessIPv4 ?? '',
    accessIPv6: s.accessIPv6 ?? '',
    links: links(req, 'servers', s.id),
    key_name: s.keyName,
    config_drive: '',
    security_groups: s.securityGroups.map((name) => ({ name })),
    'OS-DCF:diskConfig': s.diskConfig,
    // The zone of its host once placed (Nova's), else the one asked for.
    'OS-EXT-AZ:availability_zone': s.hostZone ?? parseAvailabilityZone(s.availabilityZone).zone ?? 'nova',
    'OS-EXT-STS:vm_state': s.vmState,
    'OS-EXT-STS:task_state': s.taskState,
    'OS-EXT-STS:power_state': s.powerState,
    'OS-SRV-USG:launched_at': novaLocalTime(s.launchedAt),
    'OS-SRV-USG:terminated_at': novaLocalTime(s.terminatedAt),
    'os-extended-volumes:volumes_attached': [],
  };
  if (PROGRESS_STATUSES.has(status)) view.progress = s.progress;
  if (s.fault && (status === 'ERROR' || status === 'DELETED')) {
    const fault: Record<string, unknown> = {
      code: s.fault.code,
      created: s.fault.created,
      message: s.fault.message,
    };
    if (s.fault.details && (caller.isAdmin || s.fault.code !== 500)) fault.details = s.fault.details;
    view.fault = fault;
  }
  // From 2.75 the update and rebuild answers are the full view.
  const brief = opts.update && !atLeast(req, 75);
  if (brief) for (const k of UPDATE_LEAVES_OUT) delete view[k];
  if (caller.isAdmin && !brief) {
    view['OS-EXT-SRV-ATTR:host'] = s.host;
    view['OS-EXT-SRV-ATTR:hypervisor_hostname'] = s.host;
    view['OS-EXT-SRV-ATTR:instance_name'] = `instance-${s.id.slice(0, 8)}`;
    if (atLeast(req, 3)) {
      view['OS-EXT-SRV-ATTR:reservation_id'] = s.reservationId;
      view['OS-EXT-SRV-ATTR:launch_index'] = s.launchIndex;
      view['OS-EXT-SRV-ATTR:hostname'] = serverHostname(s);
      view['OS-EXT-SRV-ATTR:kernel_id'] = '';
      view['OS-EXT-SRV-ATTR:ramdisk_id'] = '';
      view['OS-EXT-SRV-ATTR:root_device_name'] = '/dev/vda';
      view['OS-EXT-SRV-ATTR:user_data'] = null;
    }
  }
  if (atLeast(req, 9)) view.locked = Boolean(s.locked);
  if (atLeast(req, 19)) view.description = s.description;
  if (atLeast(req, 26)) view.tags = s.tags ?? [];
  if (atLeast(req, 63)) view.trusted_image_certificates = null;
  if (atLeast(req, 73)) view.locked_reason = s.locked?.reason ?? null;
  // 2.90 shows the hostname to everyone.
  if (atLeast(req, 90)) view['OS-EXT-SRV-ATTR:hostname'] = serverHostname(s);
  if (atLeast(req, 96) && !brief)
    view.pinned_availability_zone = parseAvailabilityZone(s.availabilityZone).zone ?? null;
  for (const decorate of decorators) decorate(req, s, view);
  if (opts.list || !atLeast(req, 71)) delete view.server_groups;
  // Nova's update view shows addresses without their extended keys (type, MAC).
  if (opts.update && view.addresses && typeof view.addresses === 'object')
    view.addresses = Object.fromEntries(
      Object.entries(view.addresses as Record<string, { version: number; addr: string }[]>).map(
        ([net, list]) => [net, list.map((a) => ({ version: a.version, addr: a.addr }))],
      ),
    );
  return view;
}
