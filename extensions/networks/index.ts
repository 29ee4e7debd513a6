import path from 'node:path';
import type { NovaExtension } from '../types';
import { networkActivities } from './activities';
import { networkRoutes, networkVersions } from './routes';
import { validateNetworks } from './validate';
import { CreateNetwork, CreateSubnet } from './routes';

const READ = 'role:reader or rule:context_is_admin';
const MEMBER = 'role:member or rule:context_is_admin';

const rule = (name: string, check: string, method: string, p: string, description: string) => ({
  name,
  check,
  description,
  operations: [{ method, path: p }],
});

/**
 * networks: a network resource with an address pool across every layer — shipped and admin-created
 * networks (a `network-catalog` entity), one `ipam/<network>` entity per network owning its
 * addresses, allocation as a build step (a port per NIC before each spawn, given back after a failed
 * attempt and on delete), `addresses` in server views, Nova's checks of a create's `networks`, and a
 * Neutron v2.0 subset registered in Keystone's catalog as the `network` service.
 */
export const networksExtension: NovaExtension = {
  descriptor: {
    name: 'Networks',
    alias: 'networks',
    description:
      'Networks with address pools and a Neutron v2.0 subset; servers get a port on each network they ask for.',
    updated: '2026-12-01T00:00:00Z',
  },
  api: {
    operations: [
      { method: 'get', path: '/network/', summary: 'Network API versions', public: true, tag: 'networks' },
      {
        method: 'get',
        path: '/network/v2.0/extensions',
        summary: 'List network extensions',
        tag: 'networks',
      },
      { method: 'get', path: '/network/v2.0/networks', summary: 'List networks', tag: 'networks' },
      { method: 'get', path: '/network/v2.0/networks/:id', summary: 'Show a network', tag: 'networks' },
      {
        method: 'post',
        path: '/network/v2.0/networks',
        summary: 'Create a network',
        body: CreateNetwork,
        status: 201,
        tag: 'networks',
      },
      { method: 'delete', path: '/network/v2.0/networks/:id', summary: 'Delete a network', tag: 'networks' },
      { method: 'get', path: '/network/v2.0/subnets', summary: 'List subnets', tag: 'networks' },
      { method: 'get', path: '/network/v2.0/subnets/:id', summary: 'Show a subnet', tag: 'networks' },
      {
        method: 'post',
        path: '/network/v2.0/subnets',
        summary: 'Create a subnet',
        body: CreateSubnet,
        status: 201,
        tag: 'networks',
      },
      { method: 'delete', path: '/network/v2.0/subnets/:id', summary: 'Delete a subnet', tag: 'networks' },
      { method: 'get', path: '/network/v2.0/ports', summary: 'List ports', tag: 'networks' },
      { method: 'get', path: '/network/v2.0/ports/:id', summary: 'Show a port', tag: 'networks' },
      { method: 'get', path: '/network/v2.0/floatingips', summary: 'List floating IPs', tag: 'networks' },
    ],
    validateCreate: validateNetworks,
    decorators: [
      (_req, server, view) => {
        const held = server.prepared?.networks?.addresses;
        if (held) view.addresses = held;
      },
    ],
    services: [
      {
        type: 'network',
        name: 'neutron',
        path: '/network',
        routes: networkRoutes,
        versions: networkVersions,
      },
    ],
    policies: [
      rule('get_network', READ, 'GET', '/v2.0/networks', 'List networks.'),
      rule('get_network:show', READ, 'GET', '/v2.0/networks/:id', 'Show a network.'),
      rule('create_network', MEMBER, 'POST', '/v2.0/networks', 'Create a network.'),
      rule('delete_network', MEMBER, 'DELETE', '/v2.0/networks/:id', 'Delete a network without ports.'),
      rule('get_subnet', READ, 'GET', '/v2.0/subnets', 'List subnets.'),
      rule('get_subnet:show', READ, 'GET', '/v2.0/subnets/:id', 'Show a subnet.'),
      rule('create_subnet', MEMBER, 'POST', '/v2.0/subnets', "Create a network's subnet."),
      rule('delete_subnet', MEMBER, 'DELETE', '/v2.0/subnets/:id', 'Delete a subnet without ports.'),
      rule('get_port', READ, 'GET', '/v2.0/ports', "List the project's ports."),
      rule('get_port:show', READ, 'GET', '/v2.0/ports/:id', 'Show a port.'),
      rule('get_floatingip', READ, 'GET', '/v2.0/floatingips', 'List floating IPs (there are none).'),
      rule('get_extension', READ, 'GET', '/v2.0/extensions', 'List Neutron API extensions (none).'),
    ],
  },
  control: { activities: networkActivities },
  buildSteps: [
    {
      name: 'networks',
      prepare: 'networksPrepare',
      release: 'networksRelease',
      appliesTo: (r) => r.networks !== 'none',
    },
  ],
  workflowTypes: [path.join(__dirname, 'workflow.ts')],
  // The address pools a build's prepare and release wait on.
  admissionEntities: ['ipamWorkflow'],
};

export default networksExtension;
