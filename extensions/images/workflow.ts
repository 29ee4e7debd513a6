import { makeContinueAsNewFunc, setHandler } from '@temporalio/workflow';
import { untilContinueAsNew } from '../../workflows/entity';
import { deleteImageUpdate, listImagesQuery, putImageUpdate } from './messages';
import type { ImageRecord } from './types';

export interface ImageCatalogInput {
  images?: Record<string, ImageRecord>;
}

/**
 * image-catalog: the images admins registered (the shipped ones live in code). One entity: a catalog
 * is small, and every change is one update decided in order, so two registrations of one id never race.
 */
export async function imageCatalogWorkflow(input: ImageCatalogInput = {}): Promise<void> {
  const images = new Map(Object.entries(input.images ?? {}));
  setHandler(listImagesQuery, () => [...images.values()]);
  setHandler(putImageUpdate, ({ id, fields, at }) => {
    const before = images.get(id);
    const record: ImageRecord = {
      id,
      name: '',
      status: 'queued',
      visibility: 'shared',
      min_disk: 0,
      min_ram: 0,
      disk_format: null,
      container_format: null,
      size: null,
      owner: null,
      protected: false,
      created_at: at,
      properties: {},
      ...before,
      ...fields,
      updated_at: at,
    } as ImageRecord;
    record.id = id;
    images.set(id, record);
    return record;
  });
  setHandler(deleteImageUpdate, ({ id }) => {
    images.delete(id);
  });
  await untilContinueAsNew();
  await makeContinueAsNewFunc<typeof imageCatalogWorkflow>()({ images: Object.fromEntries(images) });
}
