import type { RequestHandler } from 'express';
import { badRequest } from '../common/errors';
import { atLeast } from './context';

/** The query parameters Nova's server list knows (2.75 refuses any other with a 400). */
export const SERVER_QUERY = [
  'user_id',
  'project_id',
  'tenant_id',
  'launch_index',
  'image_ref',
  'image',
  'kernel_id',
  'ramdisk_id',
  'hostname',
  'key_name',
  'power_state',
  'vm_state',
  'task_state',
  'host',
  'node',
  'flavor',
  'reservation_id',
  'launched_at',
  'terminated_at',
  'availability_zone',
  'name',
  'display_name',
  'description',
  'display_description',
  'locked_by',
  'uuid',
  'root_device_name',
  'config_drive',
  'access_ip_v4',
  'access_ip_v6',
  'auto_disk_config',
  'progress',
  'sort_key',
  'sort_dir',
  'all_tenants',
  'soft_deleted',
  'deleted',
  'status',
  'changes-since',
  'changes-before',
  'ip',
  'ip6',
  'created_at',
  'block_device_mapping',
  'services',
  'metadata',
  'pci_devices',
  'security_groups',
  'info_cache',
  'tags',
  'tags-any',
  'not-tags',
  'not-tags-any',
  'limit',
  'marker',
  'locked',
  'instance_type_id',
  'system_metadata',
  'fault',
  'numa_topology',
  'trusted_certs',
];

/** The query parameters of the core's GET routes (Nova's query schemas); routes not named take none. */
export const CORE_QUERY_PARAMS: Record<string, string[]> = {
  '/servers': SERVER_QUERY,
  '/servers/detail': SERVER_QUERY,
  '/flavors': ['minRam', 'minDisk', 'is_public', 'limit', 'marker', 'sort_key', 'sort_dir', 'name'],
  '/flavors/detail': ['minRam', 'minDisk', 'is_public', 'limit', 'marker', 'sort_key', 'sort_dir', 'name'],
  '/os-quota-sets/:id': ['user_id'],
  '/os-quota-sets/:id/detail': ['user_id'],
  '/limits': ['tenant_id', 'reserved'],
  '/os-services': ['host', 'binary'],
  '/servers/:id/os-instance-actions': ['limit', 'marker', 'changes-since', 'changes-before'],
  '/os-simple-tenant-usage': ['start', 'end', 'detailed', 'limit', 'marker'],
  '/os-simple-tenant-usage/:id': ['start', 'end', 'limit', 'marker'],
  // novaflow's own (not Nova's): their parameters whatever the microversion.
  '/os-reservations/:id/events': ['*'],
  '/os-workflows/:id/history': ['*'],
};

/** A route of the table as a pattern over request paths (with or without a project id in front). */
export function compile(path: string): RegExp {
  const body = path
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^(?:/[^/]+)?${body}/?$`);
}

/**
 * 2.102: every GET refuses a query parameter its route does not take (400), as Nova does. A route
 * the table does not name takes none; `*` takes any.
 */
export function strictQuery(table: Record<string, string[]>): RequestHandler {
  // Most specific first, so `/servers/detail` is not read as `/servers/:id`.
  const routes = Object.entries(table)
    .sort((a, b) => b[0].split(':').length - a[0].split(':').length || b[0].length - a[0].length)
    .map(([path, params]) => ({ pattern: compile(path), params: new Set(params) }));
  return (req, _res, next) => {
    if (req.method !== 'GET' || !atLeast(req, 102)) return next();
    const keys = Object.keys(req.query);
    if (keys.length === 0) return next();
    const route = routes.find((r) => r.pattern.test(req.path));
    const allowed = route?.params ?? new Set<string>();
    if (allowed.has('*')) return next();
    const unknown = keys.find((k) => !allowed.has(k));
    if (unknown !== undefined)
      throw badRequest(
        `Invalid input for query parameters ${unknown}. Additional properties are not allowed ('${unknown}' was unexpected)`,
      );
    next();
  };
}
