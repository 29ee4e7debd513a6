import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../../api/context';
import { atLeast, ctx } from '../../api/context';
import { parseBody } from '../../api/schemas/validate';
import { forbidden, notFound } from '../../common/errors';
import { getQuota } from '../../entities/quota/client';
import { addKeypair, deleteKeypair, findKeypair, listKeypairs } from './client';
import { generateKeypair, importPublicKey } from './keys';

const Create = z
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
      })
      .strict(),
  })
  .strict();

/** Nova's os-keypairs: a user's key pairs, generated or imported; `key_pairs` quota. */
export function keypairRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.post('/os-keypairs', async (req, res) => {
    const { caller } = ctx(req);
    const { keypair } = parseBody(Create, req.body);
    const { limits } = await getQuota(deps.client, caller.projectId);
    const mine = await listKeypairs(deps.client, caller.userId);
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
      user_id: caller.userId,
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
    const keypairs = await listKeypairs(deps.client, ctx(req).caller.userId);
    res.json({
      keypairs: keypairs.map((k) => ({
        keypair: {
          name: k.name,
          public_key: k.public_key,
          fingerprint: k.fingerprint,
          ...(atLeast(req, 2) ? { type: k.type } : {}),
        },
      })),
    });
  });
  r.get('/os-keypairs/:name', async (req, res) => {
    const { caller } = ctx(req);
    const k = await findKeypair(deps.client, caller.userId, req.params.name);
    if (!k) throw notFound(`Keypair ${req.params.name} not found for user ${caller.userId}`);
    res.json({
      keypair: {
        id: k.id,
        name: k.name,
        public_key: k.public_key,
        fingerprint: k.fingerprint,
        user_id: k.user_id,
        created_at: k.created_at,
        updated_at: null,
        deleted: false,
        deleted_at: null,
        ...(atLeast(req, 2) ? { type: k.type } : {}),
      },
    });
  });
  r.delete('/os-keypairs/:name', async (req, res) => {
    await deleteKeypair(deps.client, ctx(req).caller.userId, req.params.name);
    res.status(atLeast(req, 2) ? 204 : 202).end();
  });
  return r;
}
