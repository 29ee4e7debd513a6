import { Router, type Request } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../../api/context';
import { atLeast, ctx } from '../../api/context';
import { parseBody } from '../../api/schemas/validate';
import { pageParams } from '../../api/paging';
import { novaLocalTime } from '../../api/views/time';
import { badRequest, forbidden, notFound } from '../../common/errors';
import { getQuota } from '../../entities/quota/client';
import { addKeypair, deleteKeypair, findKeypair, listKeypairs } from './client';
import { generateKeypair, importPublicKey } from './keys';

export const Create = z
  .object({
    keypair: z
      .object({
        name: z
          .string()
          .min(1)
          .max(255)
          .regex(/^[A-Za-z0-9 _.@-]+$/, 'Keypair name contains unsafe characters'),
        public_key: z.string().max(16384).optional(),
        type: z.enum(['ssh', 'x509']).optional(),
        user_id: z.string().min(1).max(255).optional(),
      })
      .strict(),
  })
  .strict();

/**
 * Whose key pairs a request is about: the caller's, or from 2.10 the `user_id` it names (in the query,
 * or in a create's body), which the rule's `user_id:%(user_id)s` then lets only admins name.
 */
function ownerOf(req: Request, rule: string, named?: string): string {
  const { caller } = ctx(req);
  const query = typeof req.query.user_id === 'string' ? req.query.user_id : undefined;
  const userId = atLeast(req, 10) ? (named ?? query ?? caller.userId) : caller.userId;
  if (named !== undefined && !atLeast(req, 10))
    throw badRequest(
      "Invalid input for field/attribute keypair. Additional properties are not allowed ('user_id' was unexpected)",
    );
  if (userId !== caller.userId) ctx(req).enforce(`os_compute_api:os-keypairs:${rule}`, { user_id: userId });
  return userId;
}

/** Nova's os-keypairs: a user's key pairs, generated or imported; `key_pairs` quota. */
export function keypairRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.post('/os-keypairs', async (req, res) => {
    const { caller } = ctx(req);
    const { keypair } = parseBody(Create, req.body);
    // Nova's names: '@' and '.' only from 2.92, which also stops generating keys (import only).
    if (!atLeast(req, 92) && /[@.]/.test(keypair.name))
      throw badRequest(
        `Invalid input for field/attribute name. Value: ${keypair.name}. Keypair name contains unsafe characters`,
      );
    if (atLeast(req, 92) && keypair.public_key === undefined)
      throw badRequest("Invalid input for field/attribute keypair. 'public_key' is a required property");
    const userId = ownerOf(req, 'create', keypair.user_id);
    const { limits } = await getQuota(deps.client, caller.projectId);
    const mine = await listKeypairs(deps.client, userId);
    // Counted, as Nova counts it (two racing creates can both pass the last unit).
    if (limits.key_pairs >= 0 && mine.length + 1 > limits.key_pairs)
      throw forbidden('Quota exceeded, too many key pairs.');
    const made = keypair.public_key === undefined ? generateKeypair() : undefined;
    const key = made ?? importPublicKey(keypair.public_key!);
    const record = await addKeypair(deps.client, {
      name: keypair.name,
      type: keypair.type ?? 'ssh',
      public_key: key.publicKey,
      fingerprint: key.fingerprint,
      user_id: userId,
      created_at: new Date().toISOString().replace(/\.\d+Z$/, ''),
    });
    const body: Record<string, unknown> = {
      name: record.name,
      public_key: record.public_key,
      fingerprint: record.fingerprint,
      user_id: record.user_id,
    };
    if (made) body.private_key = made.privateKey;
    if (atLeast(req, 2)) body.type = record.type;
    res.status(atLeast(req, 2) ? 201 : 200).json({ keypair: body });
  });
  r.get('/os-keypairs', async (req, res) => {
    const userId = ownerOf(req, 'index');
    let keypairs = await listKeypairs(deps.client, userId);
    const body: Record<string, unknown> = {};
    // From 2.35 the list pages by name (`limit`, `marker`), with a next link when more remain.
    if (atLeast(req, 35)) {
      const { limit, marker } = pageParams(req);
      keypairs = [...keypairs].sort((a, b) => a.name.localeCompare(b.name));
      let start = 0;
      if (marker !== undefined) {
        start = keypairs.findIndex((k) => k.name === marker) + 1;
        if (start === 0) throw badRequest(`marker [${marker}] not found`);
      }
      const total = keypairs.length;
      keypairs = keypairs.slice(start, start + limit);
      if (keypairs.length > 0 && start + limit < total) {
        const params = new URLSearchParams(req.query as Record<string, string>);
        params.set('marker', keypairs[keypairs.length - 1].name);
        params.set('limit', String(limit));
        body.keypairs_links = [{ rel: 'next', href: `${ctx(req).baseUrl}/v2.1/os-keypairs?${params}` }];
      }
    }
    res.json({
      keypairs: keypairs.map((k) => ({
        keypair: {
          name: k.name,
          public_key: k.public_key,
          fingerprint: k.fingerprint,
          ...(atLeast(req, 2) ? { type: k.type } : {}),
        },
      })),
      ...body,
    });
  });
  r.get('/os-keypairs/:name', async (req, res) => {
    const userId = ownerOf(req, 'show');
    const k = await findKeypair(deps.client, userId, req.params.name);
    if (!k) throw notFound(`Keypair ${req.params.name} not found for user ${userId}`);
    res.json({
      keypair: {
        id: k.id,
        name: k.name,
        public_key: k.public_key,
        fingerprint: k.fingerprint,
        user_id: k.user_id,
        created_at: novaLocalTime(k.created_at),
        updated_at: null,
        deleted: false,
        deleted_at: null,
        ...(atLeast(req, 2) ? { type: k.type } : {}),
      },
    });
  });
  r.delete('/os-keypairs/:name', async (req, res) => {
    await deleteKeypair(deps.client, ownerOf(req, 'delete'), req.params.name);
    res.status(atLeast(req, 2) ? 204 : 202).end();
  });
  return r;
}
