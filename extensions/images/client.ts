import type { Client } from '@temporalio/client';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { CONTROL_TASK_QUEUE } from '../../common/names';
import { isNotFound } from '../../entities/client-errors';
import { DEFAULT_IMAGES } from './defaults';
import { deleteImageUpdate, IMAGE_CATALOG_ID, listImagesQuery, putImageUpdate } from './messages';
import type { ImageFields, ImageRecord } from './types';
import type { Caller } from '../../common/types';
import type { imageCatalogWorkflow } from './workflow';

/** The image catalog's client: the shipped images, plus what admins registered in `image-catalog`. */
export async function listImages(client: Client): Promise<ImageRecord[]> {
  let registered: ImageRecord[] = [];
  try {
    registered = await client.workflow.getHandle(IMAGE_CATALOG_ID).query(listImagesQuery);
  } catch (err) {
    if (!isNotFound(err)) throw err; // no image registered yet
  }
  const shipped = DEFAULT_IMAGES.filter((d) => !registered.some((r) => r.id === d.id));
  return [...shipped, ...registered];
}

/** Whether a caller may see an image: public and community ones, their project's own, or any for an admin. */
export function imageVisibleTo(image: ImageRecord, caller: Pick<Caller, 'isAdmin' | 'projectId'>): boolean {
  return (
    caller.isAdmin ||
    image.visibility === 'public' ||
    image.visibility === 'community' ||
    image.owner === caller.projectId
  );
}

export async function findImage(client: Client, id: string): Promise<ImageRecord | undefined> {
  const shipped = DEFAULT_IMAGES.find((d) => d.id === id);
  if (shipped) return shipped;
  return (await listImages(client)).find((i) => i.id === id);
}

const start = () =>
  new WithStartWorkflowOperation<typeof imageCatalogWorkflow>('imageCatalogWorkflow', {
    workflowId: IMAGE_CATALOG_ID,
    taskQueue: CONTROL_TASK_QUEUE,
    args: [{}],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });

export function putImage(client: Client, id: string, fields: ImageFields): Promise<ImageRecord> {
  return client.workflow.executeUpdateWithStart(putImageUpdate, {
    args: [{ id, fields, at: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }],
    startWorkflowOperation: start(),
  });
}

export function deleteImage(client: Client, id: string): Promise<void> {
  return client.workflow.executeUpdateWithStart(deleteImageUpdate, {
    args: [{ id }],
    startWorkflowOperation: start(),
  });
}
