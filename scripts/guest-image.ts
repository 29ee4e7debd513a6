/**
 * `npm run guest-image`: builds novaflow's default guest (the machine's kernel and a busybox
 * initramfs) into the image cache the qemu driver boots from (NOVAFLOW_QEMU_IMAGES, default
 * .qemu/images). Part of `npm ci`; does nothing when the image is up to date or the parts are missing.
 */
import path from 'node:path';
import { buildGuestImage } from '../drivers/qemu/guest-image';

const dir = process.env.NOVAFLOW_QEMU_IMAGES ?? path.resolve(__dirname, '..', '.qemu', 'images');
try {
  const out = buildGuestImage(dir);
  console.log(`novaflow: default guest image ${out.built ? 'built' : 'up to date'} in ${dir}`);
} catch (err) {
  const why = (err as Error).message;
  if (process.argv.includes('--if-possible')) console.warn(`novaflow: no default guest image: ${why}`);
  else {
    console.error(`novaflow: could not build the default guest image: ${why}`);
    process.exit(1);
  }
}
