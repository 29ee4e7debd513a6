import type { Client } from '@temporalio/client';
import { Router, type Request } from 'express';
import { badRequest, notFound } from '../../common/errors';
import { isIdentityId } from '../../common/ids';
import { NovaProject } from '../../common/search-attributes';
import { eq } from '../../common/visibility';
import { serverViewsWhere } from '../usecases/servers';
import type { ServerMemoView } from '../../entities/server/rules';
import type { ApiDeps } from '../context';
import { queryString } from '../paging';
import { novaLocalTime } from '../views/time';

/** The layouts Nova's os-simple-tenant-usage reads `start` and `end` in (UTC, no zone). */
const USAGE_TIME = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(\.\d{1,6})?$/;

function periodOf(req: Request): { start: number; stop: number } {
  const parse = (key: 'start' | 'end') => {
    const raw = queryString(req, key);
    if (raw === undefined) return Date.now();
    const m = USAGE_TIME.exec(raw);
    const ms = m ? Date.parse(`${m[1]}T${m[2]}${m[3] ?? ''}Z`) : NaN;
    if (Number.isNaN(ms))
      throw badRequest(`Invalid ${key} time. The time format should be: %Y-%m-%dT%H:%M:%S`);
    return ms;
  };
  const start = parse('start');
  const stop = parse('end');
  if (!(start < stop))
    throw badRequest('Invalid start time. The start time cannot occur after the end time.');
  return { start, stop };
}

/** Every server (deleted ones too, while Temporal keeps them) of one project or of all. */
function serversOf(client: Client, projectId: string | undefined): Promise<ServerMemoView[]> {
  return serverViewsWhere(client, projectId === undefined ? undefined : eq(NovaProject, projectId));
}

interface ServerUsage {
  instance_id: string;
  name: string;
  hours: number;
  memory_mb: number;
  local_gb: number;
  vcpus: number;
  tenant_id: string;
  flavor: string;
  started_at: string | null;
  ended_at: string | null;
  state: string;
  uptime: number;
}

/** A server's usage in the period: the hours it ran in it, with its flavor's size. */
function usageOf(
  s: ServerMemoView,
  period: { start: number; stop: number },
  now: number,
): ServerUsage | undefined {
  if (!s.launchedAt) return undefined;
  const launched = Date.parse(s.launchedAt);
  const ended = s.terminatedAt ? Date.parse(s.terminatedAt) : undefined;
  const from = Math.max(launched, period.start);
  const to = Math.min(ended ?? now, period.stop);
  if (launched > period.stop || (ended !== undefined && ended < period.start)) return undefined;
  return {
    instance_id: s.id,
    name: s.name,
    hours: Math.max(0, to - from) / 3_600_000,
    memory_mb: s.flavor.ram,
    local_gb: s.flavor.disk + s.flavor.ephemeral,
    vcpus: s.flavor.vcpus,
    tenant_id: s.projectId,
    flavor: s.flavor.name,
    started_at: novaLocalTime(s.launchedAt),
    ended_at: novaLocalTime(s.terminatedAt),
    state: s.vmState === 'deleted' ? 'terminated' : s.vmState,
    uptime: Math.max(0, Math.floor(((ended ?? now) - launched) / 1000)),
  };
}

function tenantUsage(
  projectId: string,
  usages: ServerUsage[],
  period: { start: number; stop: number },
  detailed: boolean,
) {
  const sum = (f: (u: ServerUsage) => number) => usages.reduce((t, u) => t + f(u), 0);
  return {
    tenant_id: projectId,
    start: novaLocalTime(period.start),
    stop: novaLocalTime(period.stop),
    total_hours: sum((u) => u.hours),
    total_vcpus_usage: sum((u) => u.hours * u.vcpus),
    total_memory_mb_usage: sum((u) => u.hours * u.memory_mb),
    total_local_gb_usage: sum((u) => u.hours * u.local_gb),
    ...(detailed ? { server_usages: usages } : {}),
  };
}

/**
 * Nova's os-simple-tenant-usage: what each project's servers used in a period (default: now), from
 * the launch and delete times their entities keep. Every project (admin) or one (its readers).
 */
export function usageRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.get('/os-simple-tenant-usage', async (req, res) => {
    // `/os-simple-tenant-usage/` names a project with an empty id: none has it.
    if (req.path.endsWith('/')) throw notFound('The resource could not be found.');
    const period = periodOf(req);
    const detailed = ['1', 'true', 'True'].includes(queryString(req, 'detailed') ?? '');
    const now = Date.now();
    const byProject = new Map<string, ServerUsage[]>();
    for (const s of await serversOf(deps.client, undefined)) {
      const u = usageOf(s, period, now);
      if (u) byProject.set(s.projectId, [...(byProject.get(s.projectId) ?? []), u]);
    }
    res.json({
      tenant_usages: [...byProject].map(([project, usages]) =>
        tenantUsage(project, usages, period, detailed),
      ),
    });
  });
  r.get('/os-simple-tenant-usage/:project', async (req, res) => {
    const project = req.params.project;
    if (!isIdentityId(project)) throw badRequest(`Invalid project id: ${project.slice(0, 64)}`);
    const period = periodOf(req);
    const now = Date.now();
    const usages = (await serversOf(deps.client, project)).flatMap((s) => usageOf(s, period, now) ?? []);
    res.json({ tenant_usage: usages.length ? tenantUsage(project, usages, period, true) : {} });
  });
  return r;
}
