import { Router, type Request } from 'express';
import { z } from 'zod';
import { badRequest } from '../../common/errors';
import { isIdentityId } from '../../common/ids';
import type { QuotaLimits } from '../../entities/quota/types';
import { DEFAULT_QUOTA } from '../../entities/quota/types';
import type { ApiDeps } from '../context';
import { atLeast, ctx } from '../context';
import { parseBody } from '../schemas/validate';
import {
  getQuota,
  quotaClassDefaults,
  quotaClassStored,
  resetQuota,
  setQuota,
  setQuotaClass,
} from '../../entities/quota/client';

const limit = z
  .union([
    z.number().int(),
    z
      .string()
      .regex(/^-?\d+$/)
      .transform(Number),
  ])
  .pipe(z.number().int().min(-1, 'must be >= -1'));
export const QuotaUpdate = z
  .object({
    quota_set: z
      .object({
        ...Object.fromEntries(Object.keys(DEFAULT_QUOTA).map((k) => [k, limit.optional()])),
        force: z.union([z.boolean(), z.string()]).optional(),
        floating_ips: limit.optional(),
        fixed_ips: limit.optional(),
        security_groups: limit.optional(),
        security_group_rules: limit.optional(),
        networks: limit.optional(),
      })
      .strict(),
  })
  .strict();

export const QuotaClassUpdate = z
  .object({ quota_class_set: QuotaUpdate.shape.quota_set.omit({ force: true }) })
  .strict();

/**
 * Nova's network quotas, shown (at Nova's defaults; novaflow does not count them) until 2.36 removed
 * them from quota sets.
 */
const NETWORK_QUOTAS = { floating_ips: 10, fixed_ips: -1, security_groups: 10, security_group_rules: 20 };

/** The injected-file (personality) quotas, which 2.57 removed with personality. */
const FILE_QUOTAS = ['injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes'];

/** The quotas a microversion shows: network ones below 2.36, injected-file ones below 2.57. */
function shownQuotas<T>(req: Request, quotas: Record<string, T>): Record<string, T> {
  return atLeast(req, 57)
    ? Object.fromEntries(Object.entries(quotas).filter(([k]) => !FILE_QUOTAS.includes(k)))
    : quotas;
}

function quotaSet(req: Request, id: string, limits: QuotaLimits) {
  return { id, ...shownQuotas(req, { ...limits, ...(atLeast(req, 36) ? {} : NETWORK_QUOTAS) }) };
}

/** A quota update's keys this microversion no longer knows (network from 2.36, files from 2.57): 400. */
function refuseRetired(req: Request, body: Record<string, unknown>, what: string): void {
  const retired = [
    ...(atLeast(req, 36)
      ? ['floating_ips', 'fixed_ips', 'security_groups', 'security_group_rules', 'networks']
      : []),
    ...(atLeast(req, 57) ? FILE_QUOTAS : []),
  ].filter((k) => body[k] !== undefined);
  if (retired.length)
    throw badRequest(
      `Invalid input for field/attribute ${what}. Additional properties are not allowed (${retired.map((k) => `'${k}'`).join(', ')} ${retired.length > 1 ? 'were' : 'was'} unexpected)`,
    );
}

/** Quota sets (read: owner or admin; write: admin) and the absolute limits of the caller's project. */
export function quotaRoutes(deps: ApiDeps): Router {
  const r = Router();
  // A project id travels into the quota entity's workflow id and search attributes: check its shape first.
  r.param('project', (_req, _res, next, project: string) => {
    if (!isIdentityId(project)) throw badRequest(`Invalid project id: ${project.slice(0, 64)}`);
    next();
  });
  r.get('/os-quota-sets/:project/defaults', async (req, res) => {
    const defaults = { ...DEFAULT_QUOTA, ...(await quotaClassDefaults(deps.client)) };
    res.json({ quota_set: quotaSet(req, req.params.project, defaults) });
  });
  // Nova's quota classes: only `default` is used (every project's limits where it has none of its own).
  const classView = (req: Request, id: string, stored: Record<string, number>) => {
    const view: Record<string, unknown> = { ...quotaSet(req, id, DEFAULT_QUOTA) };
    for (const [k, v] of Object.entries(stored)) if (k in view) view[k] = v;
    return view;
  };
  r.get('/os-quota-class-sets/:class', async (req, res) => {
    res.json({ quota_class_set: classView(req, req.params.class, await quotaClassStored(deps.client)) });
  });
  r.put('/os-quota-class-sets/:class', async (req, res) => {
    if (req.params.class !== 'default')
      throw badRequest(`Quota class ${req.params.class.slice(0, 64)} is not used here: only 'default' is.`);
    const body = parseBody(QuotaClassUpdate, req.body);
    refuseRetired(req, body.quota_class_set, 'quota_class_set');
    const patch = Object.fromEntries(
      Object.entries(body.quota_class_set).filter(([, v]) => typeof v === 'number'),
    ) as Record<string, number>;
    const stored = await setQuotaClass(deps.client, patch);
    const { id: _id, ...view } = classView(req, 'default', stored as Record<string, number>);
    res.json({ quota_class_set: view });
  });
  r.get('/os-quota-sets/:project/detail', async (req, res) => {
    const q = await getQuota(deps.client, req.params.project);
    const used: Record<string, number> = { ...q.usage, ...q.counts };
    const detail = Object.fromEntries(
      Object.entries(q.limits).map(([k, v]) => [k, { limit: v, in_use: used[k] ?? 0, reserved: 0 }]),
    );
    const network = atLeast(req, 36)
      ? {}
      : Object.fromEntries(
          Object.entries(NETWORK_QUOTAS).map(([k, v]) => [k, { limit: v, in_use: 0, reserved: 0 }]),
        );
    res.json({ quota_set: { id: req.params.project, ...shownQuotas(req, { ...detail, ...network }) } });
  });
  r.get('/os-quota-sets/:project', async (req, res) => {
    const q = await getQuota(deps.client, req.params.project);
    res.json({ quota_set: quotaSet(req, req.params.project, q.limits) });
  });
  r.put('/os-quota-sets/:project', async (req, res) => {
    const body = parseBody(QuotaUpdate, req.body);
    refuseRetired(req, body.quota_set, 'quota_set');
    const patch = Object.fromEntries(
      Object.entries(body.quota_set).filter(([k, v]) => k in DEFAULT_QUOTA && typeof v === 'number'),
    ) as Partial<QuotaLimits>;
    const q = await setQuota(deps.client, req.params.project, patch);
    const { id: _id, ...limits } = quotaSet(req, req.params.project, q.limits);
    res.json({ quota_set: limits });
  });
  r.delete('/os-quota-sets/:project', async (req, res) => {
    await resetQuota(deps.client, req.params.project);
    res.status(202).end();
  });
  r.get('/limits', async (req, res) => {
    const q = await getQuota(deps.client, ctx(req).caller.projectId);
    res.json({
      limits: {
        rate: [],
        absolute: {
          maxImageMeta: q.limits.metadata_items,
          ...(atLeast(req, 57)
            ? {}
            : {
                maxPersonality: q.limits.injected_files,
                maxPersonalitySize: q.limits.injected_file_content_bytes,
              }),
          maxSecurityGroupRules: -1,
          maxSecurityGroups: -1,
          maxServerMeta: q.limits.metadata_items,
          maxTotalCores: q.limits.cores,
          maxTotalFloatingIps: -1,
          maxTotalInstances: q.limits.instances,
          maxTotalKeypairs: q.limits.key_pairs,
          maxTotalRAMSize: q.limits.ram,
          maxServerGroups: q.limits.server_groups,
          maxServerGroupMembers: q.limits.server_group_members,
          totalCoresUsed: q.usage.cores,
          totalInstancesUsed: q.usage.instances,
          totalRAMUsed: q.usage.ram,
          totalSecurityGroupsUsed: 0,
          totalFloatingIpsUsed: 0,
          totalServerGroupsUsed: q.counts?.server_groups ?? 0,
        },
      },
    });
  });
  return r;
}
