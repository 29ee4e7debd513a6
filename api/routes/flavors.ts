import { Router } from 'express';
import { badRequest, notFound } from '../../common/errors';
import { ctx } from '../context';
import { pageParams, queryString } from '../paging';
import { FLAVORS } from '../../common/flavors';
import type { Flavor } from '../../common/types';
import { links } from '../views/links';
import type { Request } from 'express';

function detail(req: Request, f: Flavor) {
  return {
    id: f.id,
    name: f.name,
    ram: f.ram,
    vcpus: f.vcpus,
    disk: f.disk,
    swap: f.swap === 0 ? '' : f.swap,
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeral,
    'OS-FLV-DISABLED:disabled': false,
    'os-flavor-access:is_public': true,
    rxtx_factor: 1.0,
    links: links(req, 'flavors', f.id),
  };
}

/** A flavor-list filter that must be a non-negative integer (Nova's 400 otherwise). */
function minimum(req: Request, key: 'minRam' | 'minDisk'): number | undefined {
  const raw = queryString(req, key);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw badRequest(`Invalid ${key} filter [${raw}]`);
  return n;
}

/**
 * Nova's flavor list: `minRam`, `minDisk` and `is_public` filters, sorted by flavor id, paged by
 * `limit` and `marker` (a flavor id) with a next link when more remain.
 */
function listFlavors(req: Request): { page: Flavor[]; next?: string } {
  const minRam = minimum(req, 'minRam');
  const minDisk = minimum(req, 'minDisk');
  const isPublic = queryString(req, 'is_public')?.toLowerCase();
  // Every flavor here is public: asking for private ones finds none.
  let list = ['false', 'f', '0', 'no', 'off'].includes(isPublic ?? '') ? [] : [...FLAVORS];
  if (minRam !== undefined) list = list.filter((f) => f.ram >= minRam);
  if (minDisk !== undefined) list = list.filter((f) => f.disk >= minDisk);
  const { limit, marker } = pageParams(req);
  let start = 0;
  if (marker !== undefined) {
    start = list.findIndex((f) => f.id === marker) + 1;
    if (start === 0) throw badRequest(`marker [${marker}] not found`);
  }
  const page = list.slice(start, start + limit);
  if (page.length === 0 || start + limit >= list.length) return { page };
  const params = new URLSearchParams(req.query as Record<string, string>);
  params.set('marker', page[page.length - 1].id);
  params.set('limit', String(limit));
  return { page, next: params.toString() };
}

/** The list's body, with Nova's `flavors_links` when a page follows. */
function listBody(req: Request, collection: string, flavors: unknown[], next: string | undefined) {
  const body: Record<string, unknown> = { flavors };
  if (next) body.flavors_links = [{ rel: 'next', href: `${ctx(req).baseUrl}/v2.1/${collection}?${next}` }];
  return body;
}

/** The built-in flavor catalogue (read only), with its extra specs (none). */
export function flavorRoutes(): Router {
  const r = Router();
  const find = (id: string) => {
    const f = FLAVORS.find((x) => x.id === id);
    if (!f) throw notFound(`Flavor ${id} could not be found.`);
    return f;
  };
  r.get('/flavors', (req, res) => {
    const { page, next } = listFlavors(req);
    const summaries = page.map((f) => ({ id: f.id, name: f.name, links: links(req, 'flavors', f.id) }));
    res.json(listBody(req, 'flavors', summaries, next));
  });
  r.get('/flavors/detail', (req, res) => {
    const { page, next } = listFlavors(req);
    res.json(
      listBody(
        req,
        'flavors/detail',
        page.map((f) => detail(req, f)),
        next,
      ),
    );
  });
  r.get('/flavors/:id/os-extra_specs', (req, res) => {
    find(req.params.id);
    res.json({ extra_specs: {} });
  });
  r.get('/flavors/:id/os-extra_specs/:key', (req, _res) => {
    const f = find(req.params.id);
    throw notFound(`Flavor ${f.id} has no extra specs with key ${req.params.key}.`);
  });
  r.get('/flavors/:id', (req, res) => {
    res.json({ flavor: detail(req, find(req.params.id)) });
  });
  return r;
}
