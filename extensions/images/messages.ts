import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ImageFields, ImageRecord } from './types';

/** The image catalog's messages, shared by its workflow and its client. */
export const IMAGE_CATALOG_ID = 'image-catalog';
export const listImagesQuery = defineQuery<ImageRecord[]>('listImages');
/** Registers an image (queued until uploaded) or changes one; answers the record. */
export const putImageUpdate = defineUpdate<ImageRecord, [{ id: string; fields: ImageFields; at: string }]>(
  'putImage',
);
export const deleteImageUpdate = defineUpdate<void, [{ id: string }]>('deleteImage');
