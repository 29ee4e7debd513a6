import { Router } from 'express';
import { notFound } from '../../common/errors';
import type { ExtensionDescriptor } from '../../extensions/types';
import novaV2Extensions from '../data/nova-v2-extensions.json';

/** Nova's namespace for v2.1 extensions; clients ignore it but expect the key. */
const DEFAULT_NAMESPACE = 'http://docs.openstack.org/compute/ext/fake_xml';

function view(d: ExtensionDescriptor) {
  return {
    name: d.name,
    alias: d.alias,
    description: d.description,
    namespace: d.namespace ?? DEFAULT_NAMESPACE,
    updated: d.updated,
    links: [],
  };
}

/**
 * Nova's extension list, frozen since v2.1 made every extension part of the core API: Nova answers it
 * whole whatever it runs, and clients (Tempest among them) look names up in it. It says nothing of
 * what is served here; novaflow's own extensions are listed beside it and win on an alias.
 */
const NOVA_V2: ExtensionDescriptor[] = (novaV2Extensions as [string, string, string][]).map(
  ([alias, name, description]) => ({ alias, name, description, updated: '2014-12-03T00:00:00Z' }),
);

/**
 * `GET /extensions` and `/extensions/{alias}`: the extensions loaded in this API process and Nova's
 * frozen list, sorted by alias.
 */
export function extensionRoutes(descriptors: readonly ExtensionDescriptor[]): Router {
  const loaded = new Set(descriptors.map((d) => d.alias));
  const sorted = [...descriptors, ...NOVA_V2.filter((d) => !loaded.has(d.alias))].sort((a, b) =>
    a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0,
  );
  const r = Router();
  r.get('/extensions', (_req, res) => {
    res.json({ extensions: sorted.map(view) });
  });
  r.get('/extensions/:alias', (req, res) => {
    const found = sorted.find((d) => d.alias === req.params.alias);
    if (!found) throw notFound('The resource could not be found.');
    res.json({ extension: view(found) });
  });
  return r;
}
