import { z } from 'zod';
import { compile } from '../query-params';
import { format, MAX_VERSION } from '../microversion';
import type { Operation } from './types';

export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, unknown>> };

/** `/v2.1/servers/:id` as OpenAPI writes it: `/v2.1/servers/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]\w*)/g, '{$1}');
}

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), as the handler reads its input. */
function jsonSchema(schema: z.ZodType): unknown {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
}

const FAULT = {
  description: 'A Nova fault: `{ "<fault name>": { "code": <status>, "message": "..." } }`',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Fault' } } },
};

/**
 * The OpenAPI 3.1 document of the API: every operation of the core and of the extensions in force,
 * with the bodies their zod schemas accept, the query parameters each GET takes (the table 2.102
 * enforces), and Nova's fault bodies for errors. Served at `GET /openapi.json`; `npm run openapi`
 * writes it to docs/openapi.json.
 */
export function openApiDocument(
  operations: Operation[],
  queryParams: Record<string, string[]>,
  version: string,
): OpenApiDocument {
  const routes = Object.entries(queryParams).map(([path, params]) => ({
    pattern: compile(path),
    params: params.filter((p) => p !== '*'),
  }));
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of [...operations].sort((a, b) => a.path.localeCompare(b.path))) {
    const path = openApiPath(op.path);
    const bare = op.path.replace(/^\/v2\.1/, '');
    const query =
      op.method === 'get' ? (routes.find((r) => bare !== op.path && r.pattern.test(bare))?.params ?? []) : [];
    const pathParams = [...op.path.matchAll(/:([A-Za-z_]\w*)/g)].map((m) => m[1]);
    const status = String(op.status ?? (op.method === 'delete' ? 204 : 200));
    const tag =
      op.tag ?? op.path.split('/').filter(Boolean)[1] ?? op.path.split('/').filter(Boolean)[0] ?? 'root';
    paths[path] ??= {};
    paths[path][op.method] = {
      summary: op.summary,
      operationId: `${op.method}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string) => (c ?? '').toUpperCase())}`,
      tags: [tag],
      ...(op.public ? { security: [] } : {}),
      parameters: [
        ...pathParams.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
        ...query.map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
        ...(op.public ? [] : [{ $ref: '#/components/parameters/Microversion' }]),
      ],
      ...(op.body
        ? {
            requestBody: {
              required: true,
              content: { [op.bodyType ?? 'application/json']: { schema: jsonSchema(op.body) } },
            },
          }
        : op.bodyType
          ? { requestBody: { required: true, content: { [op.bodyType]: { schema: {} } } } }
          : {}),
      responses: {
        [status]: { description: 'Success' },
        ...(op.public ? {} : { '400': FAULT, '401': FAULT, '403': FAULT, '404': FAULT }),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'novaflow',
      version,
      description:
        "novaflow's OpenStack Nova-compatible compute API (v2.1, microversions 2.1 to " +
        `${format(MAX_VERSION)}), its extensions' APIs, and its probes. \`/v2\` serves the same routes as \`/v2.1\` at 2.1.`,
    },
    servers: [{ url: 'http://localhost:8774' }],
    security: [{ keystone: [] }],
    components: {
      securitySchemes: {
        keystone: { type: 'apiKey', in: 'header', name: 'X-Auth-Token', description: 'A Keystone token' },
      },
      parameters: {
        Microversion: {
          name: 'OpenStack-API-Version',
          in: 'header',
          required: false,
          schema: { type: 'string', examples: [`compute ${format(MAX_VERSION)}`] },
          description: 'The microversion, `compute 2.x` or `compute latest` (default 2.1)',
        },
      },
      schemas: {
        Fault: {
          type: 'object',
          minProperties: 1,
          maxProperties: 1,
          additionalProperties: {
            type: 'object',
            required: ['code', 'message'],
            properties: { code: { type: 'integer' }, message: { type: 'string' } },
          },
        },
      },
    },
    paths,
  };
}

/** The routes an app serves that the document lacks, and the document's operations no route serves. */
export function openApiDrift(
  served: string[],
  doc: OpenApiDocument,
): { undocumented: string[]; unserved: string[] } {
  const documented = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths))
    for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${path}`);
  const servedSet = new Set(served.map((r) => openApiPath(r)));
  return {
    undocumented: [...servedSet].filter((r) => !documented.has(r)).sort(),
    unserved: [...documented].filter((r) => !servedSet.has(r)).sort(),
  };
}
