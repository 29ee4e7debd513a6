import { Router } from 'express';
import { z } from 'zod';
import { badRequest, notFound } from '../../common/errors';
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
      metadata: { replace: metadata },
    });
    res.json({ metadata: record.metadata });
  });
  r.post('/servers/:id/metadata', async (req, res) => {
    const { metadata } = parseBody(Metadata, req.body);
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
    await editVisibleServer(deps.client, ctx(req).caller, req.params.id, { metadata: { merge: meta } });
    res.json({ meta });
  });
  // The limit and a missing key are the server entity's to decide (its edit validator).
  r.delete('/servers/:id/metadata/:key', async (req, res) => {
    await editVisibleServer(deps.client, ctx(req).caller, req.params.id, {
      metadata: { remove: req.params.key },
    });
    res.status(204).end();
  });
  return r;
}
