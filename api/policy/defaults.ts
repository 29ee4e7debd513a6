/**
 * Every rule of the core API with Nova's default (Nova's names where Nova has the rule; novaflow's own
 * under `novaflow:`), and the requests each guards. Extensions add theirs (NovaExtension.api.policies).
 * A policy file overrides any rule's check without code.
 */

/**
 * One request a rule guards: a method and a path (`:name` is one segment), or an action — the one key
 * of a `POST <on>/action` body, on a server unless `on` names another resource (`/os-aggregates/:id`).
 */
export type Operation = { method: string; path: string } | { action: string; on?: string };

export interface PolicyRule {
  name: string;
  /** The default check, in oslo.policy's language. */
  check: string;
  description: string;
  operations?: Operation[];
}

/** Nova's base rules, which the others refer to. */
const BASE: PolicyRule[] = [
  { name: 'context_is_admin', check: 'role:admin', description: 'The caller is an administrator.' },
  { name: 'admin_api', check: 'role:admin', description: 'Administrative APIs.' },
  {
    name: 'project_member_api',
    check: 'role:member and project_id:%(project_id)s',
    description: 'A member of the project the request is about.',
  },
  {
    name: 'project_reader_api',
    check: 'role:reader and project_id:%(project_id)s',
    description: 'A reader of the project the request is about.',
  },
  {
    name: 'project_member_or_admin',
    check: 'rule:project_member_api or rule:context_is_admin',
    description: 'A project member, or an administrator.',
  },
  {
    name: 'project_reader_or_admin',
    check: 'rule:project_reader_api or rule:context_is_admin',
    description: 'A project reader, or an administrator.',
  },
];

export const ADMIN = 'rule:context_is_admin';
export const MEMBER = 'rule:project_member_or_admin';
export const READER = 'rule:project_reader_or_admin';
export const ANYONE = '@';

const op = (method: string, path: string): Operation => ({ method, path });

export const CORE_RULES: PolicyRule[] = [
  ...BASE,
  {
    name: 'os_compute_api:servers:index',
    check: READER,
    description: 'List servers.',
    operations: [op('GET', '/servers')],
  },
  {
    name: 'os_compute_api:servers:detail',
    check: READER,
    description: 'List servers with details.',
    operations: [op('GET', '/servers/detail')],
  },
  {
    name: 'os_compute_api:servers:index:get_all_tenants',
    check: ADMIN,
    description: "List every project's servers (all_tenants).",
  },
  {
    name: 'os_compute_api:servers:detail:get_all_tenants',
    check: ADMIN,
    description: "List every project's servers with details (all_tenants).",
  },
  {
    name: 'os_compute_api:servers:show',
    check: READER,
    description: 'Show a server.',
    operations: [op('GET', '/servers/:id')],
  },
  {
    name: 'os_compute_api:servers:create',
    check: MEMBER,
    description: 'Create servers.',
    operations: [op('POST', '/servers')],
  },
  {
    name: 'os_compute_api:servers:create:forced_host',
    check: ADMIN,
    description: "Place a server on a host of one's choice (availability_zone 'zone:host').",
  },
  {
    name: 'os_compute_api:servers:update',
    check: MEMBER,
    description: 'Rename a server or change its description.',
    operations: [op('PUT', '/servers/:id')],
  },
  {
    name: 'os_compute_api:server-metadata:index',
    check: READER,
    description: "List a server's metadata.",
    operations: [op('GET', '/servers/:id/metadata')],
  },
  {
    name: 'os_compute_api:server-metadata:show',
    check: READER,
    description: "Show one of a server's metadata items.",
    operations: [op('GET', '/servers/:id/metadata/:key')],
  },
  {
    name: 'os_compute_api:server-metadata:create',
    check: MEMBER,
    description: "Add to a server's metadata.",
    operations: [op('POST', '/servers/:id/metadata')],
  },
  {
    name: 'os_compute_api:server-metadata:update_all',
    check: MEMBER,
    description: "Replace a server's metadata.",
    operations: [op('PUT', '/servers/:id/metadata')],
  },
  {
    name: 'os_compute_api:server-metadata:update',
    check: MEMBER,
    description: "Set one of a server's metadata items.",
    operations: [op('PUT', '/servers/:id/metadata/:key')],
  },
  {
    name: 'os_compute_api:server-metadata:delete',
    check: MEMBER,
    description: "Delete one of a server's metadata items.",
    operations: [op('DELETE', '/servers/:id/metadata/:key')],
  },
  {
    name: 'os_compute_api:servers:delete',
    check: MEMBER,
    description: 'Delete a server.',
    operations: [op('DELETE', '/servers/:id')],
  },
  {
    name: 'os_compute_api:servers:reboot',
    check: MEMBER,
    description: 'Reboot a server.',
    operations: [{ action: 'reboot' }],
  },
  {
    name: 'os_compute_api:servers:start',
    check: MEMBER,
    description: 'Start a server.',
    operations: [{ action: 'os-start' }],
  },
  {
    name: 'os_compute_api:servers:stop',
    check: MEMBER,
    description: 'Stop a server.',
    operations: [{ action: 'os-stop' }],
  },
  {
    name: 'os_compute_api:servers:rebuild',
    check: MEMBER,
    description: 'Rebuild a server from an image.',
    operations: [{ action: 'rebuild' }],
  },
  {
    name: 'os_compute_api:os-lock-server:lock',
    check: MEMBER,
    description: 'Lock a server.',
    operations: [{ action: 'lock' }],
  },
  {
    name: 'os_compute_api:os-lock-server:unlock',
    check: MEMBER,
    description: 'Unlock a server.',
    operations: [{ action: 'unlock' }],
  },
  {
    name: 'os_compute_api:os-lock-server:unlock:unlock_override',
    check: ADMIN,
    description: 'Unlock a server locked by an administrator.',
    operations: [],
  },
  {
    name: 'os_compute_api:os-admin-actions:reset_state',
    check: ADMIN,
    description: "Reset a server's state (active or error).",
    operations: [{ action: 'os-resetState' }],
  },
  {
    name: 'os_compute_api:os-admin-actions:inject_network_info',
    check: ADMIN,
    description:
      "Inject a server's network information (nothing to do here: the guest reads its config drive).",
    operations: [{ action: 'injectNetworkInfo' }],
  },
  {
    name: 'os_compute_api:os-deferred-delete:force',
    check: MEMBER,
    description: 'Delete a server at once (every delete is at once here).',
    operations: [{ action: 'forceDelete' }],
  },
  {
    name: 'os_compute_api:os-deferred-delete:restore',
    check: MEMBER,
    description: 'Restore a soft-deleted server (none is: soft delete is off).',
    operations: [{ action: 'restore' }],
  },
  {
    name: 'os_compute_api:os-server-tags:index',
    check: READER,
    description: "List a server's tags.",
    operations: [op('GET', '/servers/:id/tags')],
  },
  {
    name: 'os_compute_api:os-server-tags:show',
    check: READER,
    description: 'Check a server has a tag.',
    operations: [op('GET', '/servers/:id/tags/:tag')],
  },
  {
    name: 'os_compute_api:os-server-tags:update_all',
    check: MEMBER,
    description: "Replace a server's tags.",
    operations: [op('PUT', '/servers/:id/tags')],
  },
  {
    name: 'os_compute_api:os-server-tags:update',
    check: MEMBER,
    description: 'Add a tag to a server.',
    operations: [op('PUT', '/servers/:id/tags/:tag')],
  },
  {
    name: 'os_compute_api:os-server-tags:delete_all',
    check: MEMBER,
    description: "Remove a server's tags.",
    operations: [op('DELETE', '/servers/:id/tags')],
  },
  {
    name: 'os_compute_api:os-server-tags:delete',
    check: MEMBER,
    description: 'Remove a tag from a server.',
    operations: [op('DELETE', '/servers/:id/tags/:tag')],
  },
  {
    name: 'os_compute_api:os-simple-tenant-usage:list',
    check: ADMIN,
    description: "List every project's usage.",
    operations: [op('GET', '/os-simple-tenant-usage')],
  },
  {
    name: 'os_compute_api:os-simple-tenant-usage:show',
    check: READER,
    description: "Show a project's usage.",
    operations: [op('GET', '/os-simple-tenant-usage/:project_id')],
  },
  {
    name: 'os_compute_api:ips:index',
    check: READER,
    description: "List a server's addresses.",
    operations: [op('GET', '/servers/:id/ips')],
  },
  {
    name: 'os_compute_api:ips:show',
    check: READER,
    description: "List a server's addresses on one network.",
    operations: [op('GET', '/servers/:id/ips/:network')],
  },
  {
    name: 'os_compute_api:os-server-password:show',
    check: READER,
    description: "Show a server's encrypted password (always empty: no guest posts one).",
    operations: [op('GET', '/servers/:id/os-server-password')],
  },
  {
    name: 'os_compute_api:os-server-password:clear',
    check: MEMBER,
    description: "Clear a server's encrypted password.",
    operations: [op('DELETE', '/servers/:id/os-server-password')],
  },
  {
    name: 'novaflow:servers:retry',
    check: MEMBER,
    description: 'Retry the build of a server in ERROR.',
    operations: [{ action: 'retry' }],
  },
  {
    name: 'os_compute_api:os-instance-actions:list',
    check: READER,
    description: "List a server's instance actions.",
    operations: [op('GET', '/servers/:id/os-instance-actions')],
  },
  {
    name: 'os_compute_api:os-instance-actions:show',
    check: READER,
    description: 'Show one instance action.',
    operations: [op('GET', '/servers/:id/os-instance-actions/:requestId')],
  },
  {
    name: 'os_compute_api:flavors:read',
    check: ANYONE,
    description: 'List and show flavors.',
    operations: [op('GET', '/flavors'), op('GET', '/flavors/detail'), op('GET', '/flavors/:id')],
  },
  {
    name: 'os_compute_api:os-flavor-manage:create',
    check: ADMIN,
    description: 'Create a flavor.',
    operations: [op('POST', '/flavors')],
  },
  {
    name: 'os_compute_api:os-flavor-manage:update',
    check: ADMIN,
    description: "Change a flavor's description (2.55).",
    operations: [op('PUT', '/flavors/:id')],
  },
  {
    name: 'os_compute_api:os-flavor-manage:delete',
    check: ADMIN,
    description: 'Delete a flavor.',
    operations: [op('DELETE', '/flavors/:id')],
  },
  {
    name: 'os_compute_api:os-flavor-access',
    check: ADMIN,
    description: 'List the projects a private flavor is shared with.',
    operations: [op('GET', '/flavors/:id/os-flavor-access')],
  },
  {
    name: 'os_compute_api:os-flavor-access:add_tenant_access',
    check: ADMIN,
    description: 'Share a private flavor with a project.',
    operations: [{ action: 'addTenantAccess', on: '/flavors/:id' }],
  },
  {
    name: 'os_compute_api:os-flavor-access:remove_tenant_access',
    check: ADMIN,
    description: 'Stop sharing a private flavor with a project.',
    operations: [{ action: 'removeTenantAccess', on: '/flavors/:id' }],
  },
  {
    name: 'os_compute_api:os-flavor-extra-specs:create',
    check: ADMIN,
    description: "Set a flavor's extra specs.",
    operations: [op('POST', '/flavors/:id/os-extra_specs')],
  },
  {
    name: 'os_compute_api:os-flavor-extra-specs:update',
    check: ADMIN,
    description: "Set one of a flavor's extra specs.",
    operations: [op('PUT', '/flavors/:id/os-extra_specs/:key')],
  },
  {
    name: 'os_compute_api:os-flavor-extra-specs:delete',
    check: ADMIN,
    description: "Delete one of a flavor's extra specs.",
    operations: [op('DELETE', '/flavors/:id/os-extra_specs/:key')],
  },
  {
    name: 'os_compute_api:os-flavor-extra-specs:index',
    check: ANYONE,
    description: "List a flavor's extra specs.",
    operations: [op('GET', '/flavors/:id/os-extra_specs')],
  },
  {
    name: 'os_compute_api:os-flavor-extra-specs:show',
    check: ANYONE,
    description: "Show one of a flavor's extra specs.",
    operations: [op('GET', '/flavors/:id/os-extra_specs/:key')],
  },
  {
    name: 'os_compute_api:limits',
    check: ANYONE,
    description: "Show the project's limits.",
    operations: [op('GET', '/limits')],
  },
  {
    name: 'os_compute_api:extensions',
    check: ANYONE,
    description: 'List and show extensions.',
    operations: [op('GET', '/extensions'), op('GET', '/extensions/:alias')],
  },
  {
    name: 'os_compute_api:os-quota-sets:show',
    check: READER,
    description: "Show a project's quota.",
    operations: [op('GET', '/os-quota-sets/:project_id'), op('GET', '/os-quota-sets/:project_id/detail')],
  },
  {
    name: 'os_compute_api:os-quota-sets:defaults',
    check: ANYONE,
    description: 'Show the default quota.',
    operations: [op('GET', '/os-quota-sets/:project_id/defaults')],
  },
  {
    name: 'os_compute_api:os-quota-sets:update',
    check: ADMIN,
    description: "Change a project's quota.",
    operations: [op('PUT', '/os-quota-sets/:project_id')],
  },
  {
    name: 'compute:servers:create:requested_destination',
    check: ADMIN,
    description: 'Create a server on a requested host (2.74 host, hypervisor_hostname).',
    operations: [],
  },
  {
    name: 'os_compute_api:os-quota-class-sets:show',
    check: ADMIN,
    description: 'Show a quota class (the default limits).',
    operations: [op('GET', '/os-quota-class-sets/:id')],
  },
  {
    name: 'os_compute_api:os-quota-class-sets:update',
    check: ADMIN,
    description: 'Change the default quota class: every project without limits of its own.',
    operations: [op('PUT', '/os-quota-class-sets/:id')],
  },
  {
    name: 'os_compute_api:os-quota-sets:delete',
    check: ADMIN,
    description: "Revert a project's quota to the defaults.",
    operations: [op('DELETE', '/os-quota-sets/:project_id')],
  },
  {
    name: 'os_compute_api:os-services:list',
    check: ADMIN,
    description: 'List compute services.',
    operations: [op('GET', '/os-services')],
  },
  {
    name: 'os_compute_api:os-services:update',
    check: ADMIN,
    description: 'Enable or disable a compute service.',
    operations: [op('PUT', '/os-services/:id')],
  },
  {
    name: 'novaflow:reservations:show',
    check: READER,
    description: 'Show a create request and follow its events.',
    operations: [op('GET', '/os-reservations/:id'), op('GET', '/os-reservations/:id/events')],
  },
  {
    name: 'novaflow:reservations:retry',
    check: MEMBER,
    description: "Retry a create request's failed servers.",
    operations: [op('POST', '/os-reservations/:id/action')],
  },
  {
    name: 'novaflow:workflows:history',
    check: ADMIN,
    description: "Read any workflow's history.",
    operations: [op('GET', '/os-workflows/:workflowId/history')],
  },
];
