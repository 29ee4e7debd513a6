import { Router } from 'express';
import { z } from 'zod';
import { badRequest, forbidden, notFound } from '../../common/errors';
import type { ViewDecorator } from '../../extensions/types';
import type { ApiDeps } from '../context';
import { atLeast, ctx } from '../context';
import { parseBody } from '../schemas/validate';
import { editVisibleServer, getServer } from '../usecases/servers';
import { serverDetail } from '../views/servers';

/** Nova's metadata key and value rules, as at create. */
const key = z.string().regex(/^[a-zA-Z0-9-_:. ]{1,255}$/, 'is not a valid metadata key');
const value = z.string().max(255, 'is too long');
const Metadata = z.object({ metadata: z.record(key, value) }).strict();
const Meta = z.object({ meta: z.record(key, value) }).strict();
const MAX_ITEMS = 128;

const Rename = z
  .object({
    server: z
      .object({
        name: z
          .string()
          .min(1, 'is too short')
          .max(255, 'is too long')
          .refine((s) => s.trim() === s, 'has leading or trailing whitespace')
          .optional(),
        description: z.string().max(255).nullable().optional(),
      })
      .strict(),
  })
  .strict();

function withinLimit(metadata: Record<string, string>): Record<string, string> {
  if (Object.keys(metadata).length > MAX_ITEMS)
    throw forbidden(`Maximum number of metadata items exceeds ${MAX_ITEMS}`);
  return metadata;
}

/** `PUT /servers/{id}` (name, description from 2.19) and Nova's server metadata routes. */
export function serverMetadataRoutes(deps: ApiDeps, decorators: ViewDecorator[]): Router {
  const r = Router();
  r.put('/servers/:id', async (req, res) => {
    const { server } = parseBody(Rename, req.body);
    if (server.description !== undefined && !atLeast(req, 19))
      throw badRequest(
        "Invalid input for field/attribute server. Additional properties are not allowed ('description' was unexpected)",
      );
    const record = await editVisibleServer(deps.client, ctx(req).caller, req.params.id, server);
    res.json({ server: serverDetail(req, record, decorators) });
  });

  r.get('/servers/:id/metadata', async (req, res) => {
    res.json({ metadata: (await getServer(deps.client, ctx(req).caller, req.params.id)).metadata });
  });
  r.put('/servers/:id/metadata', async (req, res) => {
    const { metadata } = parseBody(Metadata, req.body);
    const record = await editVisibleServer(deps.client, ctx(req).caller, req.params.id, {
      metadata: { replace: withinLimit(metadata) },
    });
    res.json({ metadata: record.metadata });
  });
  r.post('/servers/:id/metadata', async (req, res) => {
    const { metadata } = parseBody(Metadata, req.body);
    const current = await getServer(deps.client, ctx(req).caller, req.params.id);
    withinLimit({ ...current.metadata, ...metadata });
    const record = await editVisibleServer(deps.client, ctx(req).caller, req.params.id, {
      metadata: { merge: metadata },
    });
    res.json({ metadata: record.metadata });
  });
  r.get('/servers/:id/metadata/:key', async (req, res) => {
    const { metadata } = await getServer(deps.client, ctx(req).caller, req.params.id);
    if (!(req.params.key in metadata)) throw notFound('Metadata item was not found');
    res.json({ meta: { [req.params.key]: metadata[req.params.key] } });
  });
  r.put('/servers/:id/metadata/:key', async (req, res) => {
    const { meta } = parseBody(Meta, req.body);
    const keys = Object.keys(meta);
    if (keys.length > 1) throw badRequest('Request body contains too many items');
    if (keys[0] !== req.params.key) throw badRequest('Request body and URI mismatch');
    const current = await getServer(deps.client, ctx(req).caller, req.params.id);
    withinLimit({ ...current.metadata, ...meta });
    await editVisibleServer(deps.client, ctx(req).caller, req.params.id, { metadata: { merge: meta } });
    res.json({ meta });
  });
  r.delete('/servers/:id/metadata/:key', async (req, res) => {
    const { metadata } = await getServer(deps.client, ctx(req).caller, req.params.id);
    if (!(req.params.key in metadata)) throw notFound('Metadata item was not found');
    await editVisibleServer(deps.client, ctx(req).caller, req.params.id, {
      metadata: { remove: req.params.key },
    });
    res.status(204).end();
  });
  return r;
}
