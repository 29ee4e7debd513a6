import type { Request } from 'express';
import { badRequest } from '../../common/errors';
import { filterYielding } from '../../common/concurrency';
import type { ServerMemoView } from '../../entities/server/rules';
import type { ViewDecorator } from '../../extensions/types';
import { atLeast, ctx } from '../context';
import { queryString, timeQuery } from '../paging';
import { SERVER_QUERY } from '../query-params';
import { serverDetail } from '../views/servers';
import { compileNameFilter } from './name-filter';

/**
 * The server list's filters that need no visibility query: applied to the servers listed, in the
 * route, per microversion.
 */

/** 2.75: a query parameter Nova's server list does not know is a 400. */
export function checkServerQuery(req: Request): void {
  if (!atLeast(req, 75)) return;
  for (const key of Object.keys(req.query))
    if (!SERVER_QUERY.includes(key))
      throw badRequest(
        `Invalid input for query parameters ${key}. Additional properties are not allowed ('${key}' was unexpected)`,
      );
}

/**
 * Nova's field filters: `changes-before` (2.66), `locked` (2.73), and the instance fields admins could
 * always filter on and everyone may from 2.83 (zone, key, states, progress, user, times).
 */
export function filterByFields<T extends ServerMemoView>(req: Request, servers: T[]): T[] {
  const q = (key: string) => queryString(req, key);
  let out = servers;
  const before = atLeast(req, 66) ? q('changes-before') : undefined;
  if (before !== undefined) {
    const t = timeQuery('changes-before', before);
    out = out.filter((s) => Date.parse(s.updated) <= t + 999);
  }
  const locked = atLeast(req, 73) ? q('locked') : undefined;
  if (locked !== undefined) {
    const want = ['true', 't', '1', 'yes', 'on'].includes(locked.toLowerCase());
    if (!want && !['false', 'f', '0', 'no', 'off'].includes(locked.toLowerCase()))
      throw badRequest(`Invalid input for query parameters locked. Value: ${locked}. It is not a boolean.`);
    out = out.filter((s) => Boolean(s.locked) === want);
  }
  if (!(ctx(req).caller.isAdmin || atLeast(req, 83))) return out;
  const exact: [string, (s: T) => unknown][] = [
    ['availability_zone', (s) => s.hostZone ?? s.availabilityZone],
    ['key_name', (s) => s.keyName],
    ['vm_state', (s) => s.vmState],
    ['task_state', (s) => s.taskState],
    ['power_state', (s) => String(s.powerState)],
    ['user_id', (s) => s.userId],
    ['progress', (s) => String(s.progress)],
    ['config_drive', () => ''],
  ];
  for (const [key, of] of exact) {
    const want = q(key);
    if (want !== undefined) out = out.filter((s) => String(of(s) ?? '') === want);
  }
  for (const [key, of] of [
    ['created_at', (s: T) => s.created],
    ['launched_at', (s: T) => s.launchedAt],
    ['terminated_at', (s: T) => s.terminatedAt],
  ] as const) {
    const want = q(key);
    if (want === undefined) continue;
    const t = timeQuery(key, want);
    out = out.filter((s) => {
      const at = of(s);
      return at !== null && Math.abs(Date.parse(at) - t) < 1000;
    });
  }
  return out;
}

/** Nova's tag filters (2.26): comma lists, all of (`tags`), any of, not all of, none of. */
export function filterByTags<T extends { tags?: string[] }>(req: Request, servers: T[]): T[] {
  if (!atLeast(req, 26)) return servers;
  const list = (key: string) => queryString(req, key)?.split(',').filter(Boolean);
  const [all, any, notAll, notAny] = ['tags', 'tags-any', 'not-tags', 'not-tags-any'].map(list);
  return servers.filter((s) => {
    const has = new Set(s.tags ?? []);
    if (all && !all.every((t) => has.has(t))) return false;
    if (any && !any.some((t) => has.has(t))) return false;
    if (notAll && notAll.every((t) => has.has(t))) return false;
    if (notAny && notAny.some((t) => has.has(t))) return false;
    return true;
  });
}

/**
 * Nova's `ip` and `ip6` filters: regular expressions (RE2, as `name`) over the server's fixed
 * addresses, which extensions show in the view; so the view is what is matched.
 */
export async function filterByView<T extends ServerMemoView>(
  req: Request,
  servers: T[],
  decorators: ViewDecorator[],
): Promise<T[]> {
  const patterns = (['ip', 'ip6'] as const).flatMap((key) => {
    const raw = queryString(req, key);
    return raw === undefined ? [] : [{ version: key === 'ip' ? 4 : 6, match: compileNameFilter(raw) }];
  });
  if (patterns.length === 0) return servers;
  return filterYielding(servers, (s) => {
    const addresses = serverDetail(req, s, decorators).addresses as Record<
      string,
      { version: number; addr: string }[]
    >;
    const all = Object.values(addresses ?? {}).flat();
    return patterns.every((p) => all.some((a) => a.version === p.version && p.match(a.addr)));
  });
}
