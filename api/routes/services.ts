import { Router, type Request } from 'express';
import { z } from 'zod';
import { badRequest, notFound } from '../../common/errors';
import type { HostState } from '../../entities/host/types';
import { DEFAULT_HOST_DOWN_AFTER_MS, hostZone, isAlive } from '../../entities/host/rules';
import { hostState, listHostNames, viewHostStates, setHostEnabled } from '../../entities/host/client';
import type { ApiDeps } from '../context';
import { atLeast } from '../context';
import { parseBody } from '../schemas/validate';
import { novaLocalTime } from '../views/time';
import { isHostName, isUuid, nameUuid } from '../../common/ids';

export const ServiceBody = z
  .object({
    host: z.string().min(1),
    binary: z.literal('nova-compute'),
    disabled_reason: z.string().max(255).optional(),
  })
  .strict();
export const ServiceUpdate = z
  .object({
    status: z.enum(['enabled', 'disabled']).optional(),
    disabled_reason: z.string().max(255).optional(),
    forced_down: z.boolean().optional(),
  })
  .strict();

/** A compute service's id from 2.53: a name-based uuid of its host, the same in every API replica. */
export function serviceUuid(host: string): string {
  return nameUuid('service', host);
}

/** Before 2.53 Nova's service ids are integers: a stable one, from the same name. */
function serviceNumber(host: string): number {
  return parseInt(serviceUuid(host).slice(0, 7), 16) + 1;
}

/** Nova's service view of a compute host (one compute service per host), at the request's microversion. */
export function serviceView(req: Request, s: HostState, downAfterMs: number) {
  const view: Record<string, unknown> = {
    id: atLeast(req, 53) ? serviceUuid(s.name) : serviceNumber(s.name),
    binary: 'nova-compute',
    host: s.name,
    zone: hostZone(s) ?? 'nova',
    status: s.enabled ? 'enabled' : 'disabled',
    state: isAlive(s, downAfterMs) ? 'up' : 'down',
    updated_at: novaLocalTime(s.lastHeartbeat),
    disabled_reason: s.disabledReason,
  };
  if (atLeast(req, 11)) view.forced_down = false;
  return view;
}

/** Compute services (admin): list them, and enable or disable a host for new servers. */
export function serviceRoutes(deps: ApiDeps): Router {
  const r = Router();
  const setEnabled = async (host: string, enabled: boolean, reason: string | null) => {
    if (!isHostName(host) || !(await listHostNames(deps.client)).includes(host))
      throw notFound(`Compute host ${host} could not be found.`);
    return setHostEnabled(deps.client, host, enabled, reason);
  };
  const downAfterMs = deps.hostDownAfterMs ?? DEFAULT_HOST_DOWN_AFTER_MS;
  r.get('/os-services', async (req, res) => {
    // Nova's filters: `host` and `binary` (every service here is a nova-compute).
    const host = typeof req.query.host === 'string' ? req.query.host : undefined;
    const binary = typeof req.query.binary === 'string' ? req.query.binary : undefined;
    const states =
      binary !== undefined && binary !== 'nova-compute'
        ? []
        : (await viewHostStates(deps.client)).filter((s) => host === undefined || s.name === host);
    res.json({ services: states.map((s) => serviceView(req, s, downAfterMs)) });
  });
  for (const action of ['enable', 'disable', 'disable-log-reason'] as const) {
    r.put(`/os-services/${action}`, async (req, res) => {
      const body = parseBody(ServiceBody, req.body);
      const s = await setEnabled(body.host, action === 'enable', body.disabled_reason ?? null);
      const service: Record<string, unknown> = {
        host: s.name,
        binary: 'nova-compute',
        status: s.enabled ? 'enabled' : 'disabled',
      };
      if (action === 'disable-log-reason') service.disabled_reason = s.disabledReason;
      res.json({ service });
    });
  }
  // From 2.53 a service is updated by its uuid (before, only by the actions above).
  r.put('/os-services/:id', async (req, res) => {
    const id = req.params.id;
    if (!atLeast(req, 53)) throw notFound(`Service ${id} could not be found.`);
    if (!isUuid(id)) throw badRequest(`Invalid uuid ${id}`);
    const body = parseBody(ServiceUpdate, req.body);
    const host = (await listHostNames(deps.client)).find((h) => serviceUuid(h) === id.toLowerCase());
    let s = host ? await hostState(deps.client, host) : undefined;
    if (!s) throw notFound(`Service ${id} could not be found.`);
    if (body.status) s = await setEnabled(s.name, body.status === 'enabled', body.disabled_reason ?? null);
    res.json({ service: serviceView(req, s, downAfterMs) });
  });
  return r;
}
