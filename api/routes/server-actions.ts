/**
 * Server actions (`POST /servers/{id}/action`): the bodies the core parses, the actions that edit a
 * server's record at once, and Nova's actions novaflow does not offer.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { badRequest, conflict } from '../../common/errors';
import type { ServerAction } from '../../entities/server/messages';
import type { ServerActionHandler } from '../../extensions/types';
import type { ApiDeps } from '../context';
import { atLeast, ctx } from '../context';
import { canonicalIPv6 } from '../schemas/create-server';
import { parseBody } from '../schemas/validate';
import { editVisibleServer, serverAction, visibleServer } from '../usecases/servers';

/** The action keys the core handles; an extension may not take one of them. */
export const CORE_SERVER_ACTIONS: readonly string[] = ['reboot', 'os-stop', 'os-start', 'retry'];

const reboot = z
  .object({
    type: z
      .string()
      .refine(
        (t) => ['SOFT', 'HARD'].includes(t.toUpperCase()),
        "is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']",
      ),
  })
  .strict();
export const ACTIONS = z.union([
  z.object({ reboot }).strict(),
  // Nova reads no value under os-stop and os-start: `null`, `{}`, anything.
  z.object({ 'os-stop': z.unknown() }).strict(),
  z.object({ 'os-start': z.unknown() }).strict(),
  z.object({ retry: z.union([z.null(), z.object({}).strict()]) }).strict(),
]);

export function toAction(body: unknown): ServerAction {
  if (!body || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length !== 1) {
    throw badRequest(
      'There is no such action: ' +
        (body && typeof body === 'object' ? Object.keys(body).join(', ') : String(body)),
    );
  }
  const key = Object.keys(body)[0];
  if (!CORE_SERVER_ACTIONS.includes(key)) throw badRequest(`There is no such action: ${key}`);
  const parsed = parseBody(ACTIONS, body) as Record<string, unknown>;
  if ('reboot' in parsed)
    return { type: 'reboot', hard: (parsed.reboot as { type: string }).type.toUpperCase() === 'HARD' };
  if (key === 'retry') return { type: 'retry' };
  return key === 'os-stop' ? { type: 'stop' } : { type: 'start' };
}

/** The single key of an action body, if it has exactly one. */
export function actionKey(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const keys = Object.keys(body);
  return keys.length === 1 ? keys[0] : undefined;
}

export const LockBody = z.union([
  z.null(),
  z.object({ locked_reason: z.string().max(255).optional() }).strict(),
]);
export const ResetState = z.object({ state: z.enum(['active', 'error']) }).strict();

/**
 * Nova's actions that change the server's record at once (no driver call), or that have nothing to
 * do here: each answers 202 once done, and 404 for a server the caller cannot see.
 */
export const EDIT_ACTIONS: Record<string, (deps: ApiDeps, req: Request, input: unknown) => Promise<void>> = {
  lock: async (deps, req, input) => {
    const body = parseBody(LockBody, input);
    if (body?.locked_reason !== undefined && !atLeast(req, 73))
      throw badRequest("Invalid input for field/attribute lock. Value: {...}. None is not of type 'null'");
    const { caller } = ctx(req);
    const found = await visibleServer(deps.client, caller, req.params.id as string);
    await editVisibleServer(deps.client, caller, req.params.id as string, {
      lock: {
        by: found.record.projectId === caller.projectId ? 'owner' : 'admin',
        reason: body?.locked_reason ?? null,
      },
    });
  },
  unlock: async (deps, req) => {
    await editVisibleServer(deps.client, ctx(req).caller, req.params.id as string, {
      lock: { unlock: true },
      asAdmin: ctx(req).can('os_compute_api:os-lock-server:unlock:unlock_override'),
    });
  },
  'os-resetState': async (deps, req, input) => {
    const { state } = parseBody(ResetState, input);
    await editVisibleServer(deps.client, ctx(req).caller, req.params.id as string, { resetState: state });
  },
  injectNetworkInfo: async (deps, req) => {
    // The guest reads its network from its config drive: there is nothing to inject.
    await visibleServer(deps.client, ctx(req).caller, req.params.id as string);
  },
  forceDelete: async (deps, req) => {
    // Soft delete is off, so every delete is already a forced one.
    await serverAction(deps.client, ctx(req).caller, req.params.id as string, { type: 'delete' });
  },
  restore: async (deps, req) => {
    const found = await visibleServer(deps.client, ctx(req).caller, req.params.id as string);
    throw conflict(
      `Cannot 'restore' instance ${found.record.id} while it is in vm_state ${found.record.vmState}`,
    );
  },
};

export const Rebuild = z
  .object({
    imageRef: z.string().min(1).max(255),
    name: z.string().min(1).max(255).optional(),
    metadata: z.record(z.string().regex(/^[a-zA-Z0-9-_:. ]{1,255}$/), z.string().max(255)).optional(),
    adminPass: z.string().optional(),
    accessIPv4: z.union([z.ipv4(), z.literal('')]).optional(),
    accessIPv6: z.union([z.ipv6().transform(canonicalIPv6), z.literal('')]).optional(),
    'OS-DCF:diskConfig': z.enum(['AUTO', 'MANUAL']).optional(),
    preserve_ephemeral: z.boolean().optional(),
    description: z.string().max(255).nullable().optional(),
    key_name: z.string().min(1).max(255).nullable().optional(),
    user_data: z.base64('is not valid base64').max(65535, 'is too long').nullable().optional(),
    hostname: z.string().min(1).max(255).optional(),
  })
  .strict();

/** Rebuild fields a later microversion adds. */
export const REBUILD_FIELDS_FROM: Record<string, number> = {
  description: 19,
  key_name: 54,
  user_data: 57,
  hostname: 90,
};

/** Nova's server actions novaflow does not offer: 404 for a server the caller cannot see, else 400. */
export const NOT_OFFERED_ACTIONS = new Set([
  'resize',
  'confirmResize',
  'revertResize',
  'migrate',
  'os-migrateLive',
  'evacuate',
  'shelve',
  'shelveOffload',
  'unshelve',
  'pause',
  'unpause',
  'suspend',
  'resume',
  'rescue',
  'unrescue',
  'createImage',
  'createBackup',
  'changePassword',
  'addSecurityGroup',
  'removeSecurityGroup',
  'addFixedIp',
  'removeFixedIp',
  'addFloatingIp',
  'removeFloatingIp',
  'os-getVNCConsole',
  'os-getSPICEConsole',
  'os-getSerialConsole',
  'os-getRDPConsole',
  'trigger_crash_dump',
  'os-resetNetwork',
]);

/** The extension handler for this body's single action key, if an extension added that action. */
export function extensionAction(actions: Record<string, ServerActionHandler>, body: unknown) {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const keys = Object.keys(body);
  if (keys.length !== 1 || !Object.hasOwn(actions, keys[0])) return undefined;
  return { handler: actions[keys[0]], input: (body as Record<string, unknown>)[keys[0]] };
}
