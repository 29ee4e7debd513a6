import { Router } from 'express';
import { z } from 'zod';
import { notFound } from '../../common/errors';
import type { HostState } from '../../entities/host/types';
import { DEFAULT_HOST_DOWN_AFTER_MS, hostZone, isAlive } from '../../entities/host/rules';
import { hostState, listHostNames, loadHostStates, setHostEnabled } from '../../entities/host/client';
import type { ApiDeps } from '../context';
import { parseBody } from '../schemas/validate';
import { isHostName } from '../../common/ids';

const ServiceBody = z
  .object({
    host: z.string().min(1),
    binary: z.literal('nova-compute'),
    disabled_reason: z.string().max(255).optional(),
  })
  .strict();
const ServiceUpdate = z
  .object({
    status: z.enum(['enabled', 'disabled']).optional(),
    disabled_reason: z.string().max(255).optional(),
    forced_down: z.boolean().optional(),
  })
  .strict();

/** Nova's service view of a compute host. The service id is the host name: one compute service per host. */
export function serviceView(s: HostState, downAfterMs: number) {
  return {
    id: s.name,
    binary: 'nova-compute',
    host: s.name,
    zone: hostZone(s) ?? 'nova',
    status: s.enabled ? 'enabled' : 'disabled',
    state: isAlive(s, downAfterMs) ? 'up' : 'down',
    updated_at: s.lastHeartbeat ? new Date(s.lastHeartbeat).toISOString().replace(/\.\d+Z$/, '') : null,
    disabled_reason: s.disabledReason,
    forced_down: false,
  };
}

/** Compute services (admin): list them, and enable or disable a host for new servers. */
export function serviceRoutes(deps: ApiDeps): Router {
  const r = Router();
  const setEnabled = async (host: string, enabled: boolean, reason: string | null) => {
    if (!isHostName(host) || !(await listHostNames(deps.client)).includes(host))
      throw notFound(`Compute host ${host} could not be found.`);
    return setHostEnabled(deps.client, host, enabled, reason);
  };
  r.get('/os-services', async (req, res) => {
    const states = await loadHostStates(deps.client);
    res.json({
      services: states.map((s) => serviceView(s, deps.hostDownAfterMs ?? DEFAULT_HOST_DOWN_AFTER_MS)),
    });
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
  r.put('/os-services/:id', async (req, res) => {
    const body = parseBody(ServiceUpdate, req.body);
    if (!isHostName(req.params.id)) throw notFound(`Service ${req.params.id} could not be found.`);
    let s = await hostState(deps.client, req.params.id);
    if (!s) throw notFound(`Service ${req.params.id} could not be found.`);
    if (body.status) s = await setEnabled(s.name, body.status === 'enabled', body.disabled_reason ?? null);
    res.json({ service: serviceView(s, deps.hostDownAfterMs ?? DEFAULT_HOST_DOWN_AFTER_MS) });
  });
  return r;
}
