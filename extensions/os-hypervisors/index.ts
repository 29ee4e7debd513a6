import path from 'node:path';
import type { NovaExtension } from '../types';
import { createHypervisorComputeActivities } from './activities';
import { hypervisorRoutes } from './routes';

/**
 * os-hypervisors: the seed's own example. Nova needed an RPC API, a compute-manager method and a
 * driver call for uptime; here it is this package: a route, a short workflow that runs one activity
 * on the host's task queue, that activity on every compute node, and the driver's `uptime` capability.
 */
export const hypervisorsExtension: NovaExtension = {
  descriptor: {
    name: 'Hypervisors',
    alias: 'os-hypervisors',
    description: 'Admin-only hypervisor administration.',
    updated: '2014-12-03T00:00:00Z',
  },
  api: {
    operations: [
      { method: 'get', path: '/v2.1/os-hypervisors', summary: 'List hypervisors' },
      { method: 'get', path: '/v2.1/os-hypervisors/detail', summary: 'List hypervisors with details' },
      {
        method: 'get',
        path: '/v2.1/os-hypervisors/statistics',
        summary: 'Hypervisor statistics (before 2.88)',
      },
      { method: 'get', path: '/v2.1/os-hypervisors/:id', summary: 'Show a hypervisor' },
      {
        method: 'get',
        path: '/v2.1/os-hypervisors/:id/uptime',
        summary: "A hypervisor's uptime (before 2.88)",
      },
      {
        method: 'get',
        path: '/v2.1/os-hypervisors/:pattern/search',
        summary: 'Search hypervisors (before 2.53)',
      },
      {
        method: 'get',
        path: '/v2.1/os-hypervisors/:pattern/servers',
        summary: "A hypervisor's servers (before 2.53)",
      },
    ],
    routes: hypervisorRoutes,
    queryParams: {
      '/os-hypervisors': ['limit', 'marker', 'hypervisor_hostname_pattern', 'with_servers'],
      '/os-hypervisors/detail': ['limit', 'marker', 'hypervisor_hostname_pattern', 'with_servers'],
      '/os-hypervisors/:id': ['with_servers'],
    },
    collections: ['os-hypervisors'],
    policies: [
      ['list', '/os-hypervisors', 'List hypervisors.'],
      ['list-detail', '/os-hypervisors/detail', 'List hypervisors with details.'],
      ['show', '/os-hypervisors/:id', 'Show a hypervisor.'],
      ['uptime', '/os-hypervisors/:id/uptime', "Show a hypervisor's uptime."],
      ['statistics', '/os-hypervisors/statistics', 'Show totals over every hypervisor.'],
      ['search', '/os-hypervisors/:pattern/search', 'Find hypervisors by host name (before 2.53).'],
      [
        'servers',
        '/os-hypervisors/:pattern/servers',
        "List hypervisors' servers by host name (before 2.53).",
      ],
    ].map(([rule, path, description]) => ({
      name: `os_compute_api:os-hypervisors:${rule}`,
      check: 'rule:context_is_admin',
      description,
      operations: [{ method: 'GET', path }],
    })),
  },
  compute: { activities: createHypervisorComputeActivities },
  workflowTypes: [path.join(__dirname, 'workflow.ts')],
  requires: ['uptime'],
};

export default hypervisorsExtension;
