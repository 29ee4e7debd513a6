import fs from 'node:fs';
import path from 'node:path';
import type { InstanceSpec } from '../driver';
import { BuildAbortError, RescheduleError } from '../driver';
import { guestConfigArchive } from './guest-config';

/** An image or instance id: a uuid, never a path. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What QEMU boots for this instance: the image's kernel and ramdisk, or its disk, from the image
 * cache — `imageDirs`, the host's own cache first, then the stores it shares. A kernel boot writes the
 * instance's initrd (the ramdisk, then its configuration) into `vmDir`.
 */
export function bootArgs(spec: InstanceSpec, vmDir: string, imageDirs: string[]): string[] {
  const image = spec.guest?.images as
    { id?: string; disk_format?: string | null; properties?: Record<string, string> } | undefined;
  const props = image?.properties ?? {};
  const cached = (id: string) => {
    // Ids are image ids (uuids), never paths: `../` in a property must not reach the host's files.
    if (!UUID.test(id)) throw new BuildAbortError(`${id} is not an image id`);
    return (
      imageDirs.map((d) => path.join(d, id)).find((f) => fs.existsSync(f)) ?? path.join(imageDirs[0], id)
    );
  };
  const kernelId = props.kernel_id;
  if (kernelId) {
    const ramdiskId = props.ramdisk_id;
    for (const id of [kernelId, ramdiskId])
      if (id && !fs.existsSync(cached(id)))
        throw new RescheduleError(`image ${id} is not in this host's image cache`);
    // The instance's configuration follows the image's ramdisk as a second archive (a config drive).
    const initrd = path.join(vmDir, 'initrd.img');
    const parts = [
      ramdiskId ? fs.readFileSync(cached(ramdiskId)) : Buffer.alloc(0),
      guestConfigArchive(spec),
    ];
    fs.writeFileSync(initrd, Buffer.concat(parts));
    return [
      '-kernel',
      cached(kernelId),
      '-initrd',
      initrd,
      '-append',
      props.os_command_line ?? 'console=ttyS0 panic=-1',
    ];
  }
  const id = image?.id ?? spec.imageRef;
  if (!fs.existsSync(cached(id))) throw new RescheduleError(`image ${id} is not in this host's image cache`);
  // A disk image boots from its own bootloader; writes go to a temporary overlay, never to the cache.
  // Raw only, and said so to QEMU: a qcow2 (or a probed format) can name a backing file anywhere on
  // the host, which the guest would then read.
  if (image?.disk_format !== 'raw')
    throw new BuildAbortError(
      `image ${id} (disk_format ${image?.disk_format ?? 'unknown'}) is not bootable here: ` +
        'the qemu driver boots raw disks, or kernel_id + ramdisk_id',
    );
  return ['-drive', `file=${cached(id)},format=raw,if=virtio,snapshot=on`];
}
