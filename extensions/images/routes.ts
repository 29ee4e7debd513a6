import express, { Router, type Request } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ApiDeps } from '../../api/context';
import { ctx } from '../../api/context';
import { parseBody } from '../../api/schemas/validate';
import { badRequest, conflict, forbidden, notFound } from '../../common/errors';
import { deleteImage, findImage, imageVisibleTo, listImages, putImage } from './client';
import { DEFAULT_IMAGES } from './defaults';
import { imageDataPath, removeImageData, storeImageData } from './store';
import type { ImageRecord } from './types';

/** Glance v2's read API (and an admin's register, upload, delete) over novaflow's image catalog. */

const CORE_KEYS = new Set([
  'id',
  'name',
  'status',
  'visibility',
  'min_disk',
  'min_ram',
  'disk_format',
  'container_format',
  'size',
  'owner',
  'protected',
  'tags',
]);

/** An image as Glance shows it: its properties are top-level keys. */
function view(image: ImageRecord): Record<string, unknown> {
  const { properties, ...core } = image;
  return {
    ...properties,
    ...core,
    tags: [],
    checksum: image.checksum ?? null,
    os_hash_algo: image.os_hash_value ? 'sha512' : null,
    os_hash_value: image.os_hash_value ?? null,
    os_hidden: false,
    virtual_size: null,
    self: `/v2/images/${image.id}`,
    file: `/v2/images/${image.id}/file`,
    schema: '/v2/schemas/image',
  };
}

const visibleTo = (req: Request, image: ImageRecord) => imageVisibleTo(image, ctx(req).caller);

export const Register = z
  .object({
    id: z.string().uuid().optional(),
    name: z.string().max(255).optional(),
    visibility: z.enum(['public', 'private', 'shared', 'community']).optional(),
    min_disk: z.number().int().min(0).optional(),
    min_ram: z.number().int().min(0).optional(),
    disk_format: z.string().max(32).optional(),
    container_format: z.string().max(32).optional(),
    protected: z.boolean().optional(),
  })
  .catchall(z.string().max(255));

/** An image the caller may change: their project's own, or any for an admin (Glance's 403 otherwise). */
function ownImage(req: Request, image: ImageRecord): ImageRecord {
  const { caller } = ctx(req);
  if (!caller.isAdmin && image.owner !== caller.projectId)
    throw forbidden(`You are not permitted to modify image ${image.id}.`);
  return image;
}

export function imageRoutes(deps: ApiDeps): Router {
  const r = Router();
  const find = async (req: Request, id: string): Promise<ImageRecord> => {
    const image = await findImage(deps.client, id);
    if (!image || !visibleTo(req, image)) throw notFound(`No image found with ID ${id}`);
    return image;
  };

  // An upload's body is the image data, not JSON: it goes to the image store (which compute nodes
  // that boot images for real read) and the image becomes active.
  r.put('/v2/images/:id/file', async (req, res) => {
    const image = ownImage(req, await find(req, req.params.id));
    if (image.status !== 'queued')
      throw conflict(`Image status transition from ${image.status} to saving is not allowed`);
    const stored = await storeImageData(image.id, req);
    await putImage(deps.client, image.id, {
      status: 'active',
      size: stored.size,
      checksum: stored.checksum,
      os_hash_value: stored.hash,
    });
    res.status(204).end();
  });

  // Glance's download: the stored data, or 204 for an image that has none here.
  r.get('/v2/images/:id/file', async (req, res) => {
    const image = await find(req, req.params.id);
    const file = imageDataPath(image.id);
    if (!file) {
      res.status(204).end();
      return;
    }
    res.setHeader('Content-Type', 'application/octet-stream');
    if (image.checksum) res.setHeader('Content-MD5', image.checksum);
    // The store may sit under a dot-folder (.data/images): sendFile would refuse it by default.
    res.sendFile(file, { dotfiles: 'allow' });
  });
  r.use(express.json({ limit: '64kb', type: () => true }));

  r.get('/v2/images', async (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    let images = (await listImages(deps.client)).filter((i) => visibleTo(req, i));
    if (q.name !== undefined) images = images.filter((i) => i.name === q.name);
    if (q.status !== undefined) images = images.filter((i) => i.status === q.status);
    if (q.visibility !== undefined) images = images.filter((i) => i.visibility === q.visibility);
    if (q.id !== undefined) images = images.filter((i) => i.id === q.id);
    images.sort((a, b) => b.created_at.localeCompare(a.created_at) || a.id.localeCompare(b.id));
    const limit = q.limit === undefined ? 25 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 0) throw badRequest('limit param must be an integer');
    let startAt = 0;
    if (q.marker !== undefined) {
      startAt = images.findIndex((i) => i.id === q.marker) + 1;
      if (startAt === 0) throw badRequest(`marker not found: ${q.marker}`);
    }
    const page = images.slice(startAt, startAt + limit);
    const body: Record<string, unknown> = {
      images: page.map(view),
      first: '/v2/images',
      schema: '/v2/schemas/images',
    };
    if (startAt + limit < images.length && page.length > 0)
      body.next = `/v2/images?marker=${page[page.length - 1].id}&limit=${limit}`;
    res.json(body);
  });

  r.get('/v2/images/:id', async (req, res) => {
    res.json(view(await find(req, req.params.id)));
  });

  r.post('/v2/images', async (req, res) => {
    const body = parseBody(Register, req.body ?? {});
    const {
      id = randomUUID(),
      name,
      visibility,
      min_disk,
      min_ram,
      disk_format,
      container_format,
      ...rest
    } = body;
    // As in Glance: members register their project's images; only admins publish one to everyone.
    if (visibility === 'public' && !ctx(req).caller.isAdmin)
      throw forbidden('You are not authorized to complete publicize_image action.');
    if (await findImage(deps.client, id)) throw conflict(`Image with identifier ${id} already exists!`);
    const properties = Object.fromEntries(Object.entries(rest).filter(([k]) => !CORE_KEYS.has(k))) as Record<
      string,
      string
    >;
    const image = await putImage(deps.client, id, {
      name: name ?? '',
      visibility: visibility ?? 'shared',
      min_disk: min_disk ?? 0,
      min_ram: min_ram ?? 0,
      disk_format: disk_format ?? null,
      container_format: container_format ?? null,
      protected: body.protected ?? false,
      owner: ctx(req).caller.projectId,
      properties,
    });
    res.status(201).json(view(image));
  });

  r.delete('/v2/images/:id', async (req, res) => {
    const image = ownImage(req, await find(req, req.params.id));
    if (image.protected || DEFAULT_IMAGES.some((d) => d.id === image.id))
      throw forbidden(`Image ${image.id} is protected and cannot be deleted.`);
    await deleteImage(deps.client, image.id);
    removeImageData(image.id);
    res.status(204).end();
  });
  return r;
}

/** Glance's version document at the service root, as keystoneauth's discovery reads it. */
export function imageVersions(baseUrl: string): unknown {
  return {
    versions: [{ id: 'v2.16', status: 'CURRENT', links: [{ rel: 'self', href: `${baseUrl}/v2/` }] }],
  };
}
