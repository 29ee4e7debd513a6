import type express from 'express';

interface Listed {
  path: unknown;
  methods?: string[];
  router?: { listRoutes(): Listed[] };
}

/**
 * Every `METHOD /path` an Express app serves (its routers walked with the router's `listRoutes`),
 * without the automatic HEADs and without the legacy `/v2` mount, which serves `/v2.1`'s routes.
 */
export function servedRoutes(app: express.Express): string[] {
  const out = new Set<string>();
  const walk = (router: { listRoutes(): Listed[] }, prefix: string) => {
    for (const r of router.listRoutes()) {
      const path = typeof r.path === 'string' ? r.path : String(r.path);
      if (r.router) {
        if (prefix === '' && path === '/v2') continue;
        walk(r.router, prefix + (path === '/' ? '' : path));
      } else {
        for (const m of r.methods ?? []) if (m !== 'HEAD') out.add(`${m} ${prefix}${path}`);
      }
    }
  };
  walk((app as unknown as { router: { listRoutes(): Listed[] } }).router, '');
  return [...out].sort();
}
