import fs from 'node:fs';
import path from 'node:path';
import { GUEST_KERNEL_ID, GUEST_RAMDISK_ID } from '../../common/guest-image';

/** The image cache `npm ci` fills (npm run guest-image): the qemu driver's tests boot its default guest. */
export const QEMU_IMAGES =
  process.env.NOVAFLOW_QEMU_IMAGES ?? path.resolve(__dirname, '..', '..', '.qemu', 'images');

/** Fails loudly when the project's setup did not install QEMU and the guest: these tests skip nothing. */
export function assertQemuInstalled(): void {
  for (const id of [GUEST_KERNEL_ID, GUEST_RAMDISK_ID])
    if (!fs.existsSync(path.join(QEMU_IMAGES, id)))
      throw new Error(
        `the default guest image is missing from ${QEMU_IMAGES}: run npm ci (or npm run guest-image)`,
      );
}

export { qemuProcesses } from '../../drivers/qemu/processes';
