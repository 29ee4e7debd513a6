import { Router } from 'express';
import { ctx } from '../context';
import { format, MAX_VERSION, MIN_VERSION } from '../microversion';

function versionDoc(baseUrl: string) {
  return {
    id: 'v2.1',
    status: 'CURRENT',
    version: format(MAX_VERSION),
    min_version: format(MIN_VERSION),
    updated: '2013-07-23T11:33:21Z',
    links: [
      { rel: 'self', href: `${baseUrl}/v2.1/` },
      { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' },
    ],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
  };
}

/** The legacy v2.0 API: v2.1 at microversion 2.1, which Nova lists first (SUPPORTED). */
function legacyDoc(baseUrl: string) {
  return {
    id: 'v2.0',
    status: 'SUPPORTED',
    version: '',
    min_version: '',
    updated: '2011-01-21T11:33:21Z',
    links: [{ rel: 'self', href: `${baseUrl}/v2/` }],
  };
}

/** Version discovery: public, so clients can negotiate before they authenticate. */
export function versionRoutes(): Router {
  const r = Router();
  // Nova's version index answers 200 (its api-ref); 300 Multiple Choices is for other paths.
  r.get('/', (req, res) => {
    res.json({ versions: [legacyDoc(ctx(req).baseUrl), versionDoc(ctx(req).baseUrl)] });
  });
  r.get(['/v2.1', '/v2.1/'], (req, res) => {
    res.json({ version: versionDoc(ctx(req).baseUrl) });
  });
  r.get(['/v2', '/v2/'], (req, res) => {
    res.json({ version: legacyDoc(ctx(req).baseUrl) });
  });
  return r;
}
