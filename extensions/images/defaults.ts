import type { ImageRecord } from './types';

/** The images every stack has; the first is the one Nova's API samples boot. Admins add more. */
const SHIPPED_AT = '2026-01-01T00:00:00Z';
const image = (id: string, name: string, extra: Partial<ImageRecord>): ImageRecord => ({
  id,
  name,
  status: 'active',
  visibility: 'public',
  min_disk: 0,
  min_ram: 0,
  disk_format: 'qcow2',
  container_format: 'bare',
  size: null,
  owner: null,
  protected: true,
  created_at: SHIPPED_AT,
  updated_at: SHIPPED_AT,
  properties: {},
  ...extra,
});

export const DEFAULT_IMAGES: readonly ImageRecord[] = [
  image('70a599e0-31e7-49b7-b260-868f441e862b', 'cirros-0.6.2-x86_64-disk', {
    size: 21430272,
    properties: { os_distro: 'cirros', architecture: 'x86_64' },
  }),
  image('155d900f-4e14-4e4c-a73d-069cbf4541e6', 'ubuntu-24.04-server', {
    min_disk: 10,
    min_ram: 1024,
    size: 611434496,
    properties: { os_distro: 'ubuntu', os_version: '24.04', architecture: 'x86_64' },
  }),
];
