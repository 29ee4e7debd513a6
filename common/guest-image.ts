/**
 * Catalog ids of novaflow's default guest (drivers/qemu/guest-image.ts builds it): its kernel, its
 * initramfs, and the bootable image that names both through Glance's kernel_id and ramdisk_id.
 */
export const GUEST_KERNEL_ID = '29d2b21a-1810-44d9-8730-0066b92c149c';
export const GUEST_RAMDISK_ID = '306a89c6-7333-4996-9e20-e25a1641c372';
export const GUEST_IMAGE_ID = '1e0a99e7-a96e-4330-b6da-71c25f18dc9a';

/** The line the guest prints once it is up; the qemu driver's build ends when it shows. */
export const GUEST_READY_LINE = 'novaflow-guest: ready';

/** What the bootable image says of how to boot it: its kernel, its initramfs, and its ready line. */
export const GUEST_BOOT_PROPERTIES: Readonly<Record<string, string>> = {
  kernel_id: GUEST_KERNEL_ID,
  ramdisk_id: GUEST_RAMDISK_ID,
  novaflow_ready_line: GUEST_READY_LINE,
};
