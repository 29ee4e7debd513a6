import { Router } from 'express';
import { badRequest, conflict, notFound } from '../../common/errors';
import { atLeast, ctx } from '../context';
import { compileNameFilter } from '../usecases/name-filter';
import { pageParams, queryString } from '../paging';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { changeFlavor, listFlavors } from '../../entities/flavor/client';
import { flavorVisibleTo } from '../../entities/flavor/rules';
import type { FlavorRecord } from '../../entities/flavor/types';
import type { ApiDeps } from '../context';
import { parseBody } from '../schemas/validate';
import { links } from '../views/links';
import type { Request } from 'express';

/**
 * A flavor's view: `swap` 0 rather than '' from 2.75, `description` from 2.55, `extra_specs` from 2.61
 * (to those the extra specs policy lets read them), no `rxtx_factor` or `disabled` from 2.102.
 */
function detail(req: Request, f: FlavorRecord) {
  const view: Record<string, unknown> = {
    id: f.id,
    name: f.name,
    ram: f.ram,
    vcpus: f.vcpus,
    disk: f.disk,
    swap: f.swap === 0 && !atLeast(req, 75) ? '' : f.swap,
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeral,
    'OS-FLV-DISABLED:disabled': false,
    'os-flavor-access:is_public': f.isPublic,
    rxtx_factor: f.rxtxFactor,
    links: links(req, 'flavors', f.id),
  };
  if (atLeast(req, 55)) view.description = f.description;
  if (atLeast(req, 61) && ctx(req).can('os_compute_api:os-flavor-extra-specs:index'))
    view.extra_specs = f.extraSpecs;
  if (atLeast(req, 102)) {
    delete view.rxtx_factor;
    delete view['OS-FLV-DISABLED:disabled'];
  }
  return view;
}

/** The list's summary view: `description` from 2.55. */
function summary(req: Request, f: FlavorRecord) {
  return {
    id: f.id,
    name: f.name,
    ...(atLeast(req, 55) ? { description: f.description } : {}),
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
function flavorPage(req: Request, all: FlavorRecord[]): { page: FlavorRecord[]; next?: string } {
  const { caller } = ctx(req);
  const minRam = minimum(req, 'minRam');
  const minDisk = minimum(req, 'minDisk');
  // Nova: public flavors and those shared with the caller's project; an admin may ask for private
  // ones only (`is_public=false`) or every flavor (`is_public=none`).
  const raw = caller.isAdmin ? (queryString(req, 'is_public')?.toLowerCase() ?? 'true') : 'true';
  const shared = (f: FlavorRecord) => f.access.includes(caller.projectId);
  let list =
    raw === 'none'
      ? all
      : FALSE_WORDS.includes(raw)
        ? all.filter((f) => !f.isPublic)
        : all.filter((f) => f.isPublic || shared(f));
  if (minRam !== undefined) list = list.filter((f) => f.ram >= minRam);
  // 2.102: a name filter, a regular expression as the server list's (RE2, linear time).
  const name = atLeast(req, 102) ? queryString(req, 'name') : undefined;
  if (name !== undefined) {
    const matches = compileNameFilter(name);
    list = list.filter((f) => matches(f.name));
  }
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

const FALSE_WORDS = ['false', 'f', '0', 'no', 'off', 'n'];
const TRUE_WORDS = ['true', 't', '1', 'yes', 'on', 'y'];

/** Nova's boolean: JSON true/false, or one of its words in any case. */
const looseBool = z.union([
  z.boolean(),
  z
    .string()
    .refine((v) => [...TRUE_WORDS, ...FALSE_WORDS].includes(v.toLowerCase()), 'is not a valid boolean')
    .transform((v) => TRUE_WORDS.includes(v.toLowerCase())),
]);
/** An integer, or a string of digits (Nova's flavor fields accept both). */
const count = (min: number) =>
  z
    .union([
      z.number().int(),
      z
        .string()
        .regex(/^\s*-?\d+\s*$/, 'is not an integer')
        .transform((v) => Number(v.trim())),
    ])
    .pipe(z.number().int().min(min, `must be >= ${min}`).max(2147483647));

export const FlavorCreate = z
  .object({
    flavor: z
      .object({
        name: z
          .string()
          .trim()
          .min(1, 'is too short')
          .max(255, 'is too long')
          .refine((v) => !/\p{Cc}/u.test(v), 'has control characters'),
        id: z
          .union([
            z
              .string()
              .min(1)
              .max(255)
              .regex(/^(?! )[a-zA-Z0-9. _-]+(?<! )$/, 'is not a valid flavor id'),
            z.number().int().min(0).transform(String),
            z.null(),
          ])
          .optional(),
        ram: count(1),
        vcpus: count(1),
        disk: count(0),
        swap: count(0).optional(),
        'OS-FLV-EXT-DATA:ephemeral': count(0).optional(),
        rxtx_factor: z
          .union([
            z.number(),
            z
              .string()
              .regex(/^\d+(\.\d+)?$/)
              .transform(Number),
          ])
          .pipe(z.number().gt(0))
          .optional(),
        'os-flavor-access:is_public': looseBool.optional(),
        description: z.string().max(65535).nullable().optional(),
      })
      .strict(),
  })
  .strict();
/**
 * 2.86: Nova validates the values of extra specs it knows. These are the common ones; a key it does
 * not list here is taken as it is (Nova would also check the rest of its namespaces).
 */
const KNOWN_SPECS: Record<string, RegExp> = {
  'hw:cpu_policy': /^(shared|dedicated|mixed)$/,
  'hw:cpu_thread_policy': /^(prefer|isolate|require)$/,
  'hw:cpu_sockets': /^[1-9]\d*$/,
  'hw:cpu_cores': /^[1-9]\d*$/,
  'hw:cpu_threads': /^[1-9]\d*$/,
  'hw:numa_nodes': /^[1-9]\d*$/,
  'hw:mem_page_size': /^(small|large|any|\d+([KMG]i?B?)?)$/i,
  'hw:watchdog_action': /^(none|pause|poweroff|reset|disabled)$/,
  'hw:boot_menu': /^(true|false|yes|no|1|0)$/i,
  'hw_rng:allowed': /^(true|false|yes|no|1|0)$/i,
  'hw_video:ram_max_mb': /^\d+$/,
};

function checkSpecs(req: Request, specs: Record<string, string>): void {
  if (!atLeast(req, 86)) return;
  for (const [key, value] of Object.entries(specs)) {
    const pattern = KNOWN_SPECS[key];
    if (pattern && !pattern.test(value))
      throw badRequest(`Validation failed; '${value}' is not a valid value for extra spec '${key}'.`);
  }
}

export const FlavorUpdate = z
  .object({ flavor: z.object({ description: z.string().max(65535).nullable() }).strict() })
  .strict();
const specKey = z.string().regex(/^[a-zA-Z0-9-_:. ]{1,255}$/, 'is not a valid extra spec key');
const specValue = z.union([z.string().max(255), z.number(), z.boolean()]).transform(String);
export const ExtraSpecs = z.object({ extra_specs: z.record(specKey, specValue) }).strict();
export const ExtraSpec = z.record(specKey, specValue);
const Tenant = z.object({ tenant: z.string().min(1).max(255) }).strict();
export const FlavorAction = z.union([
  z.object({ addTenantAccess: Tenant }).strict(),
  z.object({ removeTenantAccess: Tenant }).strict(),
]);

/**
 * Nova's flavors over the flavor catalog (the shipped defaults plus what admins changed): list,
 * show, create, delete, access to private flavors, extra specs.
 */
export function flavorRoutes(deps: ApiDeps): Router {
  const r = Router();
  /** A flavor the caller may see, or Nova's 404. */
  const find = async (req: Request) => {
    const id = req.params.id as string;
    const f = (await listFlavors(deps.client)).find((x) => x.id === id);
    if (!f || !flavorVisibleTo(f, ctx(req).caller)) throw notFound(`Flavor ${id} could not be found.`);
    return f;
  };
  const accessList = (f: FlavorRecord) => f.access.map((tenant_id) => ({ flavor_id: f.id, tenant_id }));
  r.get('/flavors', async (req, res) => {
    const { page, next } = flavorPage(req, await listFlavors(deps.client));
    const summaries = page.map((f) => summary(req, f));
    res.json(listBody(req, 'flavors', summaries, next));
  });
  r.get('/flavors/detail', async (req, res) => {
    const { page, next } = flavorPage(req, await listFlavors(deps.client));
    res.json(
      listBody(
        req,
        'flavors/detail',
        page.map((f) => detail(req, f)),
        next,
      ),
    );
  });
  r.post('/flavors', async (req, res) => {
    const { flavor: b } = parseBody(FlavorCreate, req.body);
    for (const [field, from, until] of [
      ['description', 55, Infinity],
      ['rxtx_factor', 0, 102],
    ] as const)
      if ((b as Record<string, unknown>)[field] !== undefined && (!atLeast(req, from) || atLeast(req, until)))
        throw badRequest(
          `Invalid input for field/attribute flavor. Additional properties are not allowed ('${field}' was unexpected)`,
        );
    const created = await changeFlavor(deps.client, {
      op: 'create',
      flavor: {
        id: b.id ?? randomUUID(),
        name: b.name,
        ram: b.ram,
        vcpus: b.vcpus,
        disk: b.disk,
        swap: b.swap ?? 0,
        ephemeral: b['OS-FLV-EXT-DATA:ephemeral'] ?? 0,
        isPublic: b['os-flavor-access:is_public'] ?? true,
        rxtxFactor: b.rxtx_factor ?? 1,
        description: b.description ?? null,
        extraSpecs: {},
        access: [],
      },
    });
    res.json({ flavor: detail(req, created!) });
  });
  r.get('/flavors/:id', async (req, res) => {
    res.json({ flavor: detail(req, await find(req)) });
  });
  // 2.55: a flavor's description is the one thing that changes.
  r.put('/flavors/:id', async (req, res) => {
    if (!atLeast(req, 55)) throw notFound('The resource could not be found.');
    const { flavor } = parseBody(FlavorUpdate, req.body);
    const f = (await listFlavors(deps.client)).find((x) => x.id === req.params.id);
    if (!f) throw notFound(`Flavor ${req.params.id} could not be found.`);
    const changed = await changeFlavor(deps.client, {
      op: 'describe',
      id: f.id,
      description: flavor.description,
    });
    res.json({ flavor: detail(req, changed!) });
  });
  r.delete('/flavors/:id', async (req, res) => {
    await changeFlavor(deps.client, { op: 'delete', id: req.params.id });
    res.status(202).end();
  });
  r.get('/flavors/:id/os-flavor-access', async (req, res) => {
    const f = await find(req);
    if (f.isPublic) throw notFound('Access list not available for public flavors.');
    res.json({ flavor_access: accessList(f) });
  });
  r.post('/flavors/:id/action', async (req, res) => {
    const action = parseBody(FlavorAction, req.body);
    const f = await find(req);
    if (f.isPublic) throw conflict(`Can not add access to a public flavor.`);
    const changed =
      'addTenantAccess' in action
        ? await changeFlavor(deps.client, {
            op: 'add_access',
            id: f.id,
            project: action.addTenantAccess.tenant,
          })
        : await changeFlavor(deps.client, {
            op: 'remove_access',
            id: f.id,
            project: action.removeTenantAccess.tenant,
          });
    res.json({ flavor_access: accessList(changed!) });
  });
  r.get('/flavors/:id/os-extra_specs', async (req, res) => {
    res.json({ extra_specs: (await find(req)).extraSpecs });
  });
  r.post('/flavors/:id/os-extra_specs', async (req, res) => {
    const { extra_specs } = parseBody(ExtraSpecs, req.body);
    checkSpecs(req, extra_specs);
    const f = await find(req);
    await changeFlavor(deps.client, { op: 'set_specs', id: f.id, specs: extra_specs });
    res.json({ extra_specs });
  });
  r.get('/flavors/:id/os-extra_specs/:key', async (req, res) => {
    const f = await find(req);
    const key = req.params.key as string;
    if (!Object.hasOwn(f.extraSpecs, key))
      throw notFound(`Flavor ${f.id} has no extra specs with key ${key}.`);
    res.json({ [key]: f.extraSpecs[key] });
  });
  r.put('/flavors/:id/os-extra_specs/:key', async (req, res) => {
    const spec = parseBody(ExtraSpec, req.body);
    const keys = Object.keys(spec);
    if (keys.length > 1) throw badRequest('Request body contains too many items');
    if (keys[0] !== req.params.key) throw badRequest('Request body and URI mismatch');
    checkSpecs(req, spec);
    const f = await find(req);
    await changeFlavor(deps.client, { op: 'set_specs', id: f.id, specs: spec });
    res.json(spec);
  });
  r.delete('/flavors/:id/os-extra_specs/:key', async (req, res) => {
    const f = await find(req);
    await changeFlavor(deps.client, { op: 'unset_spec', id: f.id, key: req.params.key as string });
    res.status(200).end();
  });
  return r;
}
