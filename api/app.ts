import express, { type Router } from 'express';
import type { ApiDeps } from './context';
import { ctx, setCtx } from './context';
import { authenticate, requestId } from './auth';
import { bodyDepth } from './body-depth';
import { observe } from './observe';
import { coreOperations } from './openapi/core';
import { openApiDocument, type OpenApiDocument } from './openapi/document';
import type { Operation } from './openapi/types';
import type { Tracer } from '@opentelemetry/api';
import { errorHandler, notFoundHandler } from './errors';
import { microversion } from './microversion';
import { extensionRoutes } from './routes/extensions';
import { flavorRoutes } from './routes/flavors';
import { healthRoutes } from './routes/health';
import { instanceActionRoutes } from './routes/instance-actions';
import { CORE_QUERY_PARAMS, strictQuery } from './query-params';
import { usageRoutes } from './routes/usage';
import { quotaRoutes } from './routes/quotas';
import { reservationRoutes } from './routes/reservations';
import { serverRoutes } from './routes/servers';
import { serverMetadataRoutes } from './routes/server-metadata';
import { serviceRoutes } from './routes/services';
import { versionRoutes } from './routes/versions';
import { workflowRoutes } from './routes/workflows';
import type { CreateSchemaParts } from './schemas/create-server';
import { CORE_RULES, type PolicyRule } from './policy/defaults';
import { Policy } from './policy/enforce';
import type { IdentityProvider } from './identity/types';
import type {
  CreateValidator,
  ExtensionDescriptor,
  BuildStep,
  ExtensionService,
  ServerActionHandler,
  ViewDecorator,
} from '../extensions/types';

/** The API's release, as its OpenAPI document names it. */
export const API_VERSION = '0.1.0';

/** What extensions contribute to the API. */
export interface ApiExtensionParts {
  routes: ((deps: ApiDeps) => Router)[];
  schema: CreateSchemaParts;
  decorators: ViewDecorator[];
  aliases: string[];
  /** Descriptors of the loaded extensions, for `GET /extensions`. */
  descriptors: ExtensionDescriptor[];
  /** Top-level collections the extensions' routes own. */
  collections: string[];
  /** The query parameters of the extensions' GET routes, by route path. */
  queryParams: Record<string, string[]>;
  /** Async checks of a create request, run before anything is started. */
  createValidators: CreateValidator[];
  /** Server actions the extensions add, by the action's body key (never a core action's). */
  serverActions: Record<string, ServerActionHandler>;
  /** Policy rules of the extensions' routes and actions. */
  policies: PolicyRule[];
  /** APIs of their own the extensions serve beside Nova's. */
  services: ExtensionService[];
  /** Steps the extensions add to every server's build. */
  buildSteps: BuildStep[];
  /** The operations of the extensions' routes, for the OpenAPI document. */
  operations: Operation[];
}

export const NO_EXTENSIONS: ApiExtensionParts = {
  routes: [],
  schema: { serverFields: {}, topLevelFields: {} },
  decorators: [],
  aliases: [],
  descriptors: [],
  collections: [],
  queryParams: {},
  createValidators: [],
  serverActions: {},
  policies: [],
  services: [],
  buildSteps: [],
  operations: [],
};

/** What the app needs besides what its routes need: who callers are, and what they may do. */
export interface AppDeps extends ApiDeps {
  /** Who a token stands for: Keystone, or noauth in development. */
  identity: IdentityProvider;
  /** A policy file's rules, which override the defaults. */
  policyOverrides?: Record<string, string>;
  /** Traces requests when tracing is on: each request a server span its Temporal calls continue. */
  tracer?: Tracer;
}

/** The OpenAPI document of the core and of these extensions. */
export function apiDocument(ext: ApiExtensionParts = NO_EXTENSIONS): OpenApiDocument {
  return openApiDocument(
    [...coreOperations(ext.schema), ...ext.operations],
    { ...CORE_QUERY_PARAMS, ...ext.queryParams },
    API_VERSION,
  );
}

/** The Nova API app: thin routes over use cases, one error handler. */
export function createApp(deps: AppDeps, ext: ApiExtensionParts = NO_EXTENSIONS): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  app.use(requestId);
  app.use(observe(deps.tracer));
  // Probes for orchestrators: no token, no microversion, nothing of the Nova API.
  app.use(healthRoutes(deps));
  const document = apiDocument(ext);
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  if (deps.publicUrl) {
    const baseUrl = deps.publicUrl.replace(/\/$/, '');
    app.use((req, _res, next) => {
      setCtx(req, { baseUrl });
      next();
    });
  }
  const policy = new Policy([...CORE_RULES, ...ext.policies], deps.policyOverrides);
  // Extension services come before Nova's body parsing: they parse their own bodies.
  for (const service of ext.services) {
    const r = express.Router();
    if (service.versions) {
      const versions = service.versions;
      r.get('/', (req, res) => res.json(versions(`${ctx(req).baseUrl}${service.path}`)));
    }
    r.use(authenticate(deps.identity, ['v2', 'v1']));
    r.use(policy.middleware());
    r.use(service.routes(deps));
    app.use(service.path, r);
  }
  app.use(express.json({ limit: '1mb', type: () => true }));
  app.use(bodyDepth);
  app.use(versionRoutes());
  const v21 = express.Router();
  v21.use(microversion);
  v21.use(authenticate(deps.identity, ext.collections));
  v21.use(policy.middleware());
  // After identity and policy: a stranger's request is a 401 or 403 whatever its query says.
  v21.use(strictQuery({ ...CORE_QUERY_PARAMS, ...ext.queryParams }));
  v21.use(extensionRoutes(ext.descriptors));
  v21.use(flavorRoutes(deps));
  v21.use(
    serverRoutes(deps, {
      schema: ext.schema,
      decorators: ext.decorators,
      extensions: ext.aliases,
      validators: ext.createValidators,
      actions: ext.serverActions,
      buildSteps: ext.buildSteps,
    }),
  );
  v21.use(serverMetadataRoutes(deps, ext.decorators));
  v21.use(quotaRoutes(deps));
  v21.use(usageRoutes(deps));
  v21.use(instanceActionRoutes(deps));
  v21.use(reservationRoutes(deps));
  v21.use(workflowRoutes(deps));
  v21.use(serviceRoutes(deps));
  for (const route of ext.routes) v21.use(route(deps));
  app.use('/v2.1', v21);
  // The legacy v2.0 endpoint Nova still lists: the same API, always at microversion 2.1.
  app.use(
    '/v2',
    (req, _res, next) => {
      delete req.headers['openstack-api-version'];
      delete req.headers['x-openstack-nova-api-version'];
      next();
    },
    v21,
  );
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
