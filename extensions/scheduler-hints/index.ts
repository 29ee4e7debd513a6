import path from 'node:path';
import type { NovaExtension } from '../types';
import { createServerGroupActivities } from './activities';
import { SCHEDULER_HINT_FILTERS } from './filters';
import { HINT_KEYS, SCHEDULER_HINTS_ALIAS } from './hints';
import { serverGroupRoutes } from './routes';
import { schedulerHintsSchema } from './schema';
import { validateGroupHint } from './validate';
import { hintsView } from './view';
import { CreateGroup } from './routes';

/**
 * Scheduler hints and server groups: two top-level create fields, a schedule-stage hook (workflow
 * interceptor on `scheduleServers`) that turns them into filters, the filters themselves, the
 * server-group entity workflow and its API. The core scheduler knows none of it.
 */
export const schedulerHintsExtension: NovaExtension = {
  descriptor: {
    name: 'SchedulerHints',
    alias: SCHEDULER_HINTS_ALIAS,
    description: 'Pass arbitrary key/value pairs to the scheduler; server groups with (anti-)affinity.',
    updated: '2014-12-03T00:00:00Z',
  },
  api: {
    operations: [
      { method: 'get', path: '/v2.1/os-server-groups', summary: 'List server groups' },
      { method: 'post', path: '/v2.1/os-server-groups', summary: 'Create a server group', body: CreateGroup },
      { method: 'get', path: '/v2.1/os-server-groups/:id', summary: 'Show a server group' },
      { method: 'delete', path: '/v2.1/os-server-groups/:id', summary: 'Delete a server group' },
    ],
    routes: serverGroupRoutes,
    queryParams: { '/os-server-groups': ['all_projects', 'limit', 'offset'] },
    collections: ['os-server-groups'],
    policies: [
      {
        name: 'os_compute_api:os-server-groups:create',
        check: 'rule:project_member_or_admin',
        description: 'Create a server group.',
        operations: [{ method: 'POST', path: '/os-server-groups' }],
      },
      {
        name: 'os_compute_api:os-server-groups:index',
        check: 'rule:project_reader_or_admin',
        description: "List the project's server groups.",
        operations: [{ method: 'GET', path: '/os-server-groups' }],
      },
      {
        name: 'os_compute_api:os-server-groups:index:all_projects',
        check: 'rule:context_is_admin',
        description: "List every project's server groups (all_projects).",
      },
      {
        name: 'os_compute_api:os-server-groups:show',
        check: 'rule:project_reader_or_admin',
        description: 'Show a server group.',
        operations: [{ method: 'GET', path: '/os-server-groups/:id' }],
      },
      {
        name: 'os_compute_api:os-server-groups:delete',
        check: 'rule:project_member_or_admin',
        description: 'Delete a server group.',
        operations: [{ method: 'DELETE', path: '/os-server-groups/:id' }],
      },
    ],
    validateCreate: validateGroupHint,
    decorators: [hintsView],
    topLevelFields: Object.fromEntries(HINT_KEYS.map((k) => [k, schedulerHintsSchema])),
  },
  control: { activities: createServerGroupActivities, filters: SCHEDULER_HINT_FILTERS },
  workflowModules: [path.join(__dirname, 'workflow-interceptors.ts')],
  workflowTypes: [path.join(__dirname, 'workflow.ts')],
};

export default schedulerHintsExtension;
