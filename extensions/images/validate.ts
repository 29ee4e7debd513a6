import { badRequest } from '../../common/errors';
import type { CreateValidator } from '../types';
import { findImage, imageVisibleTo } from './client';

/**
 * Nova's checks of a create's image, before anything starts: it must exist (and be visible to the
 * caller), be active, and fit the flavor (min_ram, min_disk). A create without imageRef (boot from
 * volume) has nothing to check. The image's description is captured for the driver.
 */
export const validateImage: CreateValidator = async (deps, caller, request) => {
  const id = request.imageRef;
  if (!id) return;
  const image = await findImage(deps.client, id);
  if (!image || !imageVisibleTo(image, caller)) throw badRequest(`Image ${id} could not be found.`);
  if (image.status !== 'active') throw badRequest(`Image ${id} is not active.`);
  if (image.min_ram > request.flavor.ram)
    throw badRequest("Flavor's memory is too small for requested image.");
  if (image.min_disk > request.flavor.disk)
    throw badRequest("Flavor's disk is too small for requested image.");
  // An image that boots a kernel and ramdisk of the catalog needs both to be there for the caller.
  for (const key of ['kernel_id', 'ramdisk_id'] as const) {
    const part = image.properties[key];
    if (part === undefined) continue;
    const found = await findImage(deps.client, part);
    if (!found || !imageVisibleTo(found, caller) || found.status !== 'active')
      throw badRequest(`Image ${part} could not be found.`);
  }
  // What the driver boots: the image as the catalog describes it now.
  return {
    guest: {
      images: {
        id: image.id,
        name: image.name,
        disk_format: image.disk_format,
        min_disk: image.min_disk,
        min_ram: image.min_ram,
        properties: image.properties,
      },
    },
    // Shown in the server's `image` from 2.98, as Nova keeps the image's properties with the instance.
    shown: { images: { properties: image.properties } },
  };
};
