import { Router, type Request } from 'express';
import { z } from 'zod';
import { badRequest, notFound } from '../../common/errors';
import type { ViewDecorator } from '../../extensions/types';
import type { ApiDeps } from '../context';
import { atLeast, ctx } from '../context';
import { parseBody } from '../schemas/validate';
import { editVisibleServer, getServer } from '../usecases/servers';
import { serverDetail } from '../views/servers';
import { links } from '../views/links';
import { canonicalIPv6, hostnameProblem, serverTag } from '../schemas/create-server';

/** Nova's metadata key and value rules, as at create. */
const key = z.string().regex(/^[a-zA-Z0-9-_:. ]{1,255}$/, 'is not a valid metadata key');
const value = z.string().max(255, 'is too long');
export const Metadata = z.object({ metadata: z.record(key, value) }).strict();
export const Meta = z.object({ meta: z.record(key, value) }).strict();

export const Tags = z.object({ tags: z.array(serverTag).max(50, 'is too long') }).strict();

export const Rename = z
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
        hostname: z.string().min(1).max(255).optional(),
        pinned_availability_zone: z.string().min(1).max(255).nullable().optional(),
        accessIPv4: z.union([z.ipv4(), z.literal('')]).optional(),
        accessIPv6: z.union([z.ipv6().transform(canonicalIPv6), z.literal('')]).optional(),
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
    if (server.hostname !== undefined) {
      if (!atLeast(req, 90))
        throw badRequest(
          "Invalid input for field/attribute server. Additional properties are not allowed ('hostname' was unexpected)",
        );
      const problem = hostnameProblem(server.hostname, atLeast(req, 94));
      if (problem) throw badRequest(problem);
    }
    const { pinned_availability_zone: pinned, ...rest } = server;
    if (pinned !== undefined && !atLeast(req, 104))
      throw badRequest(
        "Invalid input for field/attribute server. Additional properties are not allowed ('pinned_availability_zone' was unexpected)",
      );
    const record = await editVisibleServer(deps.client, ctx(req).caller, req.params.id, {
      ...rest,
      ...(pinned !== undefined ? { pinnedZone: pinned } : {}),
    });
    res.json({ server: serverDetail(req, record, decorators, { update: true }) });
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

  // Nova's server addresses (os-server-ips): what the server view shows, without the extended keys.
  const addressesOf = async (req: Request) => {
    const record = await getServer(deps.client, ctx(req).caller, req.params.id as string);
    const shown = serverDetail(req, record, decorators).addresses as Record<
      string,
      { version: number; addr: string }[]
    >;
    return Object.fromEntries(
      Object.entries(shown ?? {}).map(([net, list]) => [
        net,
        list.map((a) => ({ version: a.version, addr: a.addr })),
      ]),
    );
  };
  r.get('/servers/:id/ips', async (req, res) => {
    res.json({ addresses: await addressesOf(req) });
  });
  r.get('/servers/:id/ips/:network', async (req, res) => {
    const addresses = await addressesOf(req);
    if (!Object.hasOwn(addresses, req.params.network))
      throw notFound('There are no instances on that network');
    res.json({ [req.params.network]: addresses[req.params.network] });
  });

  // No guest posts an encrypted password to a metadata service here, so there is never one to show.
  r.get('/servers/:id/os-server-password', async (req, res) => {
    await getServer(deps.client, ctx(req).caller, req.params.id);
    res.json({ password: '' });
  });
  r.delete('/servers/:id/os-server-password', async (req, res) => {
    await getServer(deps.client, ctx(req).caller, req.params.id);
    res.status(204).end();
  });

  // Server tags (2.26): below it these routes are unknown (404), as in Nova.
  const tagsFrom226 = (req: Request) => {
    if (!atLeast(req, 26)) throw notFound('The resource could not be found.');
  };
  const tagOf = (req: Request) => {
    const parsed = serverTag.safeParse(req.params.tag);
    if (!parsed.success) throw badRequest(`Tag '${String(req.params.tag).slice(0, 80)}' is invalid.`);
    return parsed.data;
  };
  r.get('/servers/:id/tags', async (req, res) => {
    tagsFrom226(req);
    res.json({ tags: (await getServer(deps.client, ctx(req).caller, req.params.id)).tags ?? [] });
  });
  r.put('/servers/:id/tags', async (req, res) => {
    tagsFrom226(req);
    const { tags } = parseBody(Tags, req.body);
    const record = await editVisibleServer(deps.client, ctx(req).caller, req.params.id, {
      tags: { replace: tags },
    });
    res.json({ tags: record.tags ?? [] });
  });
  r.delete('/servers/:id/tags', async (req, res) => {
    tagsFrom226(req);
    await editVisibleServer(deps.client, ctx(req).caller, req.params.id, { tags: { replace: [] } });
    res.status(204).end();
  });
  r.get('/servers/:id/tags/:tag', async (req, res) => {
    tagsFrom226(req);
    const tag = tagOf(req);
    const { tags } = await getServer(deps.client, ctx(req).caller, req.params.id);
    if (!(tags ?? []).includes(tag)) throw notFound(`Instance ${req.params.id} has no tag '${tag}'`);
    res.status(204).end();
  });
  r.put('/servers/:id/tags/:tag', async (req, res) => {
    tagsFrom226(req);
    const tag = tagOf(req);
    const before = await getServer(deps.client, ctx(req).caller, req.params.id);
    await editVisibleServer(deps.client, ctx(req).caller, req.params.id, { tags: { add: tag } });
    if ((before.tags ?? []).includes(tag)) {
      res.status(204).end();
      return;
    }
    res.location(`${links(req, 'servers', req.params.id)[0].href}/tags/${encodeURIComponent(tag)}`);
    res.status(201).end();
  });
  r.delete('/servers/:id/tags/:tag', async (req, res) => {
    tagsFrom226(req);
    await editVisibleServer(deps.client, ctx(req).caller, req.params.id, { tags: { remove: tagOf(req) } });
    res.status(204).end();
  });
  return r;
}
