import path from 'node:path';
import { badRequest } from '../../common/errors';
import type { NovaExtension } from '../types';
import { findKeypair } from './client';
import { keypairRoutes } from './routes';
import { Create as CreateKeypair } from './routes';

const OWNER = 'rule:context_is_admin or user_id:%(user_id)s';

/**
 * os-keypairs: a user's key pairs (generated or imported) in a `keypairs/<user>` entity, Nova's
 * `key_pairs` quota, and the check of a create's `key_name`.
 */
export const keypairsExtension: NovaExtension = {
  descriptor: {
    name: 'Keypairs',
    alias: 'os-keypairs',
    description: 'Keypair Support.',
    updated: '2011-08-08T00:00:00Z',
    namespace: 'http://docs.openstack.org/compute/ext/fake_xml',
  },
  api: {
    operations: [
      { method: 'get', path: '/v2.1/os-keypairs', summary: 'List key pairs' },
      {
        method: 'post',
        path: '/v2.1/os-keypairs',
        summary: 'Import a key pair',
        body: CreateKeypair,
        status: 201,
      },
      { method: 'get', path: '/v2.1/os-keypairs/:name', summary: 'Show a key pair' },
      { method: 'delete', path: '/v2.1/os-keypairs/:name', summary: 'Delete a key pair', status: 204 },
    ],
    routes: keypairRoutes,
    queryParams: { '/os-keypairs': ['user_id', 'limit', 'marker'], '/os-keypairs/:name': ['user_id'] },
    collections: ['os-keypairs'],
    // Checks key_name, and captures the public key for the guest (as Nova keeps it with the instance).
    validateCreate: async (deps, caller, request) => {
      if (!request.keyName) return;
      const k = await findKeypair(deps.client, caller.userId, request.keyName);
      if (!k) throw badRequest('Invalid key_name provided.');
      return {
        guest: {
          keypairs: { name: k.name, type: k.type, public_key: k.public_key, fingerprint: k.fingerprint },
        },
      };
    },
    policies: [
      ['create', 'POST', '/os-keypairs', 'Create or import a key pair.'],
      ['index', 'GET', '/os-keypairs', "List the caller's key pairs."],
      ['show', 'GET', '/os-keypairs/:name', 'Show a key pair.'],
      ['delete', 'DELETE', '/os-keypairs/:name', 'Delete a key pair.'],
    ].map(([rule, method, p, description]) => ({
      name: `os_compute_api:os-keypairs:${rule}`,
      check: OWNER,
      description,
      operations: [{ method, path: p }],
    })),
  },
  workflowTypes: [path.join(__dirname, 'workflow.ts')],
};

export default keypairsExtension;
