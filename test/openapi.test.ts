import fs from 'node:fs';
import { Router } from 'express';
import { apiDocument, createApp, NO_EXTENSIONS, type ApiExtensionParts } from '../api/app';
import { noAuth } from '../api/identity/noauth';
import { openApiDrift } from '../api/openapi/document';
import { servedRoutes } from '../api/openapi/routes';
import { composeExtensions } from '../extensions/compose';
import { BUILTIN_EXTENSIONS } from '../extensions/registry';
import { OPENAPI_FILE, openApiText } from '../scripts/openapi';

/** The app as the API process builds it (the routes are what matter: no call reaches Temporal here). */
function appWith(ext: ApiExtensionParts) {
  return createApp(
    { client: {} as never, namespace: 'openapi', uiUrl: '', maxCount: 10, identity: noAuth },
    ext,
  );
}

const all = composeExtensions(BUILTIN_EXTENSIONS).api;

describe('the OpenAPI document', () => {
  it('then documents every route the app serves and nothing else, with every extension', () => {
    const drift = openApiDrift(servedRoutes(appWith(all)), apiDocument(all));
    expect(drift).toEqual({ undocumented: [], unserved: [] });
    // Sanity: the walk found the routes of the core, of extensions and of their services.
    const served = servedRoutes(appWith(all));
    expect(served).toEqual(
      expect.arrayContaining([
        'POST /v2.1/servers',
        'GET /v2.1/os-keypairs/:name',
        'PUT /image/v2/images/:id/file',
        'GET /healthz',
      ]),
    );
  });

  it('then documents the core alone the same way', () => {
    expect(openApiDrift(servedRoutes(appWith(NO_EXTENSIONS)), apiDocument(NO_EXTENSIONS))).toEqual({
      undocumented: [],
      unserved: [],
    });
  });

  it('then the check fails when an extension adds a route without an operation', () => {
    const sneaky = composeExtensions([
      ...BUILTIN_EXTENSIONS,
      {
        descriptor: { name: 'Sneaky', alias: 'os-sneaky', description: 'x', updated: '2026-12-01T00:00:00Z' },
        api: {
          collections: ['os-sneaky'],
          routes: () => Router().get('/os-sneaky', (_req, res) => res.json({})),
        },
      },
    ]).api;
    expect(openApiDrift(servedRoutes(appWith(sneaky)), apiDocument(sneaky)).undocumented).toEqual([
      'GET /v2.1/os-sneaky',
    ]);
  });

  it('then the checked-in docs/openapi.json is what the code generates (npm run openapi)', () => {
    expect(fs.readFileSync(OPENAPI_FILE, 'utf8')).toBe(openApiText());
  });

  it('then it is served at /openapi.json without a token, OpenAPI 3.1 with the bodies the handlers parse', async () => {
    const server = appWith(all).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/openapi.json`);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as any;
      expect(doc.openapi).toBe('3.1.0');
      const create = doc.paths['/v2.1/servers'].post;
      const body = create.requestBody.content['application/json'].schema.properties.server;
      expect(body.required).toEqual(expect.arrayContaining(['name', 'flavorRef']));
      // Extensions' create fields are in the core's create body.
      expect(Object.keys(body.properties)).toEqual(expect.arrayContaining(['key_name', 'networks']));
      expect(create.responses['202']).toBeDefined();
      expect(doc.paths['/v2.1/servers/{id}'].get.parameters).toEqual(
        expect.arrayContaining([{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }]),
      );
      // The query parameters a GET takes are those 2.102 enforces.
      const names = doc.paths['/v2.1/servers/detail'].get.parameters.map((p: any) => p.name);
      expect(names).toEqual(expect.arrayContaining(['reservation_id', 'changes-since', 'limit']));
      expect(doc.paths['/healthz'].get.security).toEqual([]);
    } finally {
      server.close();
    }
  });
});
