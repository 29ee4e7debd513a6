import path from 'node:path';
import type { NovaExtension } from '../types';
import { createDiagnosticsComputeActivities } from './activities';
import { diagnosticsRoutes } from './routes';

/**
 * os-server-diagnostics: `GET /servers/{id}/diagnostics` (admins, as Nova's default), read from the
 * server's host through a short workflow on its task queue: whether the machine runs, and since when.
 */
export const serverDiagnosticsExtension: NovaExtension = {
  descriptor: {
    name: 'ServerDiagnostics',
    alias: 'os-server-diagnostics',
    description: 'Allow Admins to view server diagnostics through server action.',
    updated: '2014-12-03T00:00:00Z',
  },
  api: {
    operations: [
      { method: 'get', path: '/v2.1/servers/:id/diagnostics', summary: "Show a server's diagnostics" },
    ],
    routes: diagnosticsRoutes,
    queryParams: { '/servers/:id/diagnostics': [] },
    policies: [
      {
        name: 'os_compute_api:os-server-diagnostics',
        check: 'rule:context_is_admin',
        description: 'Show the usage data for a server.',
        operations: [{ method: 'GET', path: '/servers/:id/diagnostics' }],
      },
    ],
  },
  compute: { activities: createDiagnosticsComputeActivities },
  workflowTypes: [path.join(__dirname, 'workflow.ts')],
};

export default serverDiagnosticsExtension;
