import { subnetLayout } from './ipam';
import type { NetworkRecord } from './types';

/** The network every stack has: shared, one /16 subnet, so every project's servers get an address. */
const SHIPPED_AT = '2026-01-01T00:00:00Z';
const ID = '3e5b1f0a-8c57-4d1e-9f2a-6b0d4c3a2e10';
const SUBNET_ID = '8d2c7f4e-1a3b-4c5d-9e6f-0a1b2c3d4e5f';

export const DEFAULT_NETWORKS: readonly NetworkRecord[] = [
  {
    id: ID,
    name: 'private',
    project_id: '',
    shared: true,
    created_at: SHIPPED_AT,
    updated_at: SHIPPED_AT,
    subnet: {
      id: SUBNET_ID,
      name: 'private-subnet',
      network_id: ID,
      project_id: '',
      cidr: '10.0.0.0/16',
      ip_version: 4,
      ...subnetLayout('10.0.0.0/16'),
      enable_dhcp: true,
      created_at: SHIPPED_AT,
      updated_at: SHIPPED_AT,
    },
  },
];
