import { Router } from 'express';
import { notFound } from '../../common/errors';
import type { ExtensionDescriptor } from '../../extensions/types';

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

/** `GET /extensions` and `/extensions/{alias}`: what is loaded in this API process, sorted by alias. */
export function extensionRoutes(descriptors: readonly ExtensionDescriptor[]): Router {
  const sorted = [...descriptors].sort((a, b) => (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0));
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
