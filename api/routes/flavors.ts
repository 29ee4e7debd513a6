import { Router } from 'express';
import { notFound } from '../../common/errors';
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

/** The built-in flavor catalogue (read only). */
export function flavorRoutes(): Router {
  const r = Router();
  r.get('/flavors', (req, res) => {
    res.json({
      flavors: FLAVORS.map((f) => ({ id: f.id, name: f.name, links: links(req, 'flavors', f.id) })),
    });
  });
  r.get('/flavors/detail', (req, res) => {
    res.json({ flavors: FLAVORS.map((f) => detail(req, f)) });
  });
  r.get('/flavors/:id', (req, res) => {
    const f = FLAVORS.find((x) => x.id === req.params.id);
    if (!f) throw notFound(`Flavor ${req.params.id} could not be found.`);
    res.json({ flavor: detail(req, f) });
  });
  return r;
}
