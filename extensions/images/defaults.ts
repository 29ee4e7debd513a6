import {
  GUEST_BOOT_PROPERTIES,
  GUEST_IMAGE_ID,
  GUEST_KERNEL_ID,
  GUEST_RAMDISK_ID,
} from '../../common/guest-image';
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
  // novaflow's own guest, which the qemu driver boots for real (npm run guest-image builds its parts
  // into each host's image cache): a kernel and an initramfs, named by the bootable image as Glance's
  // AMI-style images name theirs.
  image(GUEST_IMAGE_ID, 'novaflow-guest', {
    disk_format: 'ami',
    container_format: 'ami',
    min_ram: 128,
    properties: {
      // Its kernel, its initramfs, and the line the qemu driver's build waits for.
      ...GUEST_BOOT_PROPERTIES,
      os_command_line: 'console=ttyS0 panic=-1',
      os_distro: 'novaflow-guest',
      architecture: 'x86_64',
    },
  }),
  image(GUEST_KERNEL_ID, 'novaflow-guest-kernel', { disk_format: 'aki', container_format: 'aki' }),
  image(GUEST_RAMDISK_ID, 'novaflow-guest-initramfs', { disk_format: 'ari', container_format: 'ari' }),
];
