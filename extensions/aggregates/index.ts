import path from 'node:path';
import type { Operation } from '../../api/policy/defaults';
import type { NovaExtension } from '../types';
import { tenantIsolationFilter } from './filters';
import { aggregateRoutes } from './routes';
import { Action as AggregateAction, Create as CreateAggregate, Update as UpdateAggregate } from './routes';

/**
 * os-aggregates: host aggregates (CRUD, hosts, metadata and its availability zone), admin only. An
 * aggregate tells its hosts its metadata, so its zone is theirs (the core's zone filter, the zone
 * list and os-services read it) and its `filter_tenant_id` isolates them (a scheduler filter).
 */
export const aggregatesExtension: NovaExtension = {
  descriptor: {
    name: 'Aggregates',
    alias: 'os-aggregates',
    description: 'Admin-only aggregate administration.',
    updated: '2012-01-12T00:00:00Z',
    namespace: 'http://docs.openstack.org/compute/ext/fake_xml',
  },
  api: {
    operations: [
      { method: 'get', path: '/v2.1/os-aggregates', summary: 'List host aggregates' },
      {
        method: 'post',
        path: '/v2.1/os-aggregates',
        summary: 'Create a host aggregate',
        body: CreateAggregate,
      },
      { method: 'get', path: '/v2.1/os-aggregates/:id', summary: 'Show a host aggregate' },
      {
        method: 'put',
        path: '/v2.1/os-aggregates/:id',
        summary: 'Update a host aggregate',
        body: UpdateAggregate,
      },
      { method: 'delete', path: '/v2.1/os-aggregates/:id', summary: 'Delete a host aggregate', status: 200 },
      {
        method: 'post',
        path: '/v2.1/os-aggregates/:id/action',
        summary: 'Add or remove a host, set metadata',
        body: AggregateAction,
      },
    ],
    routes: aggregateRoutes,
    collections: ['os-aggregates'],
    policies: [
      ['index', 'GET', '/os-aggregates', 'List aggregates.'],
      ['create', 'POST', '/os-aggregates', 'Create an aggregate.'],
      ['show', 'GET', '/os-aggregates/:id', 'Show an aggregate.'],
      ['update', 'PUT', '/os-aggregates/:id', 'Rename an aggregate or change its zone.'],
      ['delete', 'DELETE', '/os-aggregates/:id', 'Delete an aggregate.'],
    ]
      .map(([rule, method, p, description]) => ({
        name: `os_compute_api:os-aggregates:${rule}`,
        check: 'rule:context_is_admin',
        description,
        operations: [{ method, path: p }] as Operation[],
      }))
      .concat(
        [
          ['add_host', 'Add a host to an aggregate.'],
          ['remove_host', 'Remove a host from an aggregate.'],
          ['set_metadata', "Set or remove an aggregate's metadata."],
        ].map(([action, description]) => ({
          name: `os_compute_api:os-aggregates:${action}`,
          check: 'rule:context_is_admin',
          description,
          operations: [{ action, on: '/os-aggregates/:id' }],
        })),
      ),
  },
  control: { filters: { AggregateMultiTenancyIsolation: tenantIsolationFilter } },
  workflowModules: [path.join(__dirname, 'workflow-interceptors.ts')],
  workflowTypes: [path.join(__dirname, 'workflow.ts')],
};

export default aggregatesExtension;
