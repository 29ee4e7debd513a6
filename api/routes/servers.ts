import type { Request } from 'express';
import { Router } from 'express';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { AdmitResult, CreateRequest } from '../../entities/reservation/types';
import { badRequest, forbidden, NovaError } from '../../common/errors';
import { admissions, admittedServers } from '../../common/observability/metrics';
import { reservationWorkflowId } from '../../common/names';
import { annotate } from '../observe';
import { MAX_METADATA_ITEMS, METADATA_LIMIT_MESSAGE } from '../../entities/server/rules';
import { findFlavorFor } from '../../entities/flavor/client';
import { SERVER_STATUSES } from '../../common/status';
import type { BuildStep, CreateValidator, ServerActionHandler } from '../../extensions/types';
import type { ApiDeps } from '../context';
import { atLeast, ctx } from '../context';
import type { CreateSchemaParts } from '../schemas/create-server';
import {
  actionKey,
  EDIT_ACTIONS,
  extensionAction,
  NOT_OFFERED_ACTIONS,
  Rebuild,
  REBUILD_FIELDS_FROM,
  toAction,
} from './server-actions';
import { createServerSchema, hostnameProblem } from '../schemas/create-server';
import { listHostNames } from '../../entities/host/client';
import { parseBody } from '../schemas/validate';
import { pageParams, queryString } from '../paging';
import { checkServerQuery, filterByFields, filterByTags, filterByView } from '../usecases/list-filters';
import { mapLimit } from '../../common/concurrency';
import { withLiveProgress } from '../usecases/live-progress';
import { admit, newAdminPass, QuotaBatcher } from '../usecases/admission';
import {
  firstAnswer,
  IDEMPOTENCY_HEADER,
  idempotencyKey,
  idempotencyPrefix,
  requestHash,
} from '../usecases/idempotency';
import { getServer, listServers, serverAction, toCreateRequest, visibleServer } from '../usecases/servers';
import { links } from '../views/links';
import type { ViewDecorator } from '../views/servers';
import { serverDetail, serverSummary } from '../views/servers';

export interface ServerRouteOptions {
  schema: CreateSchemaParts;
  decorators: ViewDecorator[];
  /** Aliases of the extensions in force, recorded on every reservation. */
  extensions: string[];
  /** Extensions' async checks of a create, run before the reservation starts. */
  validators?: CreateValidator[];
  /** Server actions extensions add, consulted for an action key the core does not know. */
  actions?: Record<string, ServerActionHandler>;
  /** Steps the extensions in force add to builds, recorded on each reservation they apply to. */
  buildSteps?: BuildStep[];
}

/** Create fields a later microversion adds: before it they are unknown properties (400), as in Nova. */
const CREATE_FIELDS_FROM: Record<string, number> = {
  description: 19,
  tags: 52,
  host: 74,
  hypervisor_hostname: 74,
  hostname: 90,
};

/**
 * Microversion 2.37's rule: `networks` is required (`auto`, `none` or a list), and before 2.37 only
 * a list is accepted.
 */
function requireNetworksFrom237(req: Request, networks: unknown): void {
  if (atLeast(req, 37)) {
    if (networks === undefined)
      throw badRequest(
        `Invalid input for field/attribute server. Value: ${JSON.stringify(req.body.server).slice(0, 200)}. 'networks' is a required property`,
      );
  } else if (typeof networks === 'string') {
    throw badRequest(
      `Invalid input for field/attribute networks. Value: ${networks}. '${networks}' is not of type 'array'`,
    );
  }
}

/** Servers: create (one reservation workflow per request), read, delete and lifecycle actions. */
export function serverRoutes(deps: ApiDeps, opts: ServerRouteOptions): Router {
  const r = Router();
  const schema = createServerSchema(opts.schema);
  const extraServerKeys = Object.keys(opts.schema.serverFields);
  const extraTopKeys = Object.keys(opts.schema.topLevelFields);
  const batcher = new QuotaBatcher(deps.client);

  r.post('/servers', async (req, res) => {
    const { caller } = ctx(req);
    if (!req.is('application/json') && req.body === undefined)
      throw badRequest(
        'The server could not comply with the request since it is either malformed or otherwise incorrect.',
      );
    const body = parseBody(schema, req.body);
    requireNetworksFrom237(req, body.server.networks);
    for (const [field, minor] of Object.entries(CREATE_FIELDS_FROM))
      if ((body.server as Record<string, unknown>)[field] !== undefined && !atLeast(req, minor))
        throw badRequest(
          `Invalid input for field/attribute server. Additional properties are not allowed ('${field}' was unexpected)`,
        );
    // `zone:host` (or `:host`) forces the host, for admins only.
    if (body.server.availability_zone?.includes(':'))
      ctx(req).enforce('os_compute_api:servers:create:forced_host');
    if (body.server.hostname !== undefined) {
      const problem = hostnameProblem(body.server.hostname, atLeast(req, 94));
      if (problem) throw badRequest(problem);
    }
    // 2.74: a requested host (admins), which the scheduler must use: novaflow's forced host.
    const wanted = body.server.host ?? body.server.hypervisor_hostname;
    if (wanted !== undefined) {
      ctx(req).enforce('compute:servers:create:requested_destination');
      if (body.server.availability_zone?.includes(':'))
        throw badRequest(
          'host and hypervisor_hostname cannot be used with an availability_zone of the form zone:host.',
        );
      if (body.server.hypervisor_hostname !== undefined && body.server.hypervisor_hostname !== wanted)
        throw badRequest(`Compute host ${wanted} has no hypervisor ${body.server.hypervisor_hostname}.`);
      if (!(await listHostNames(deps.client)).includes(wanted))
        throw badRequest(`Compute host ${wanted} could not be found.`);
      body.server.availability_zone = `${body.server.availability_zone ?? ''}:${wanted}`;
      delete body.server.host;
      delete body.server.hypervisor_hostname;
    }
    const extra: Record<string, unknown> = {};
    const server = body.server as Record<string, unknown>;
    for (const k of extraServerKeys) if (server[k] !== undefined) extra[k] = server[k];
    for (const k of extraTopKeys)
      if ((body as Record<string, unknown>)[k] !== undefined) extra[k] = (body as Record<string, unknown>)[k];
    const key = idempotencyKey(req.header(IDEMPOTENCY_HEADER));
    const flavor = await findFlavorFor(deps.client, caller, String(body.server.flavorRef));
    if (!flavor) throw badRequest(`Flavor ${body.server.flavorRef} could not be found.`);
    const createReq = toCreateRequest(
      deps,
      caller,
      body,
      opts.extensions,
      extra,
      key === undefined ? undefined : idempotencyPrefix(caller.projectId, key),
      flavor,
    );
    const steps = (opts.buildSteps ?? [])
      .filter((step) => !step.appliesTo || step.appliesTo(createReq))
      .map(({ name, prepare, release }) => ({ name, prepare, ...(release ? { release } : {}) }));
    if (steps.length > 0) createReq.buildSteps = steps;
    if (key !== undefined) createReq.idempotency = { requestHash: requestHash(req.body) };
    // The extensions' checks are independent: run together, so a create waits for the slowest only;
    // the first refusal in their declared order is the answer, whichever came first.
    const checks = await Promise.allSettled(
      (opts.validators ?? []).map((validate) => validate(deps, caller, createReq)),
    );
    for (const check of checks) {
      if (check.status === 'rejected') throw check.reason;
      if (check.value?.guest) createReq.guest = { ...createReq.guest, ...check.value.guest };
      if (check.value?.shown) createReq.shown = { ...createReq.shown, ...check.value.shown };
    }
    annotate(req, { reservation_id: createReq.reservationId });
    const admitted = await admitOnce(createReq).catch((err: unknown) => {
      if (err instanceof NovaError && err.status === 403) admissions.inc({ result: 'over_quota' });
      throw err;
    });
    admissions.inc({ result: 'admitted' });
    admittedServers.inc(admitted.serverIds.length);
    annotate(req, {
      reservation_id: admitted.reservationId,
      workflow_id: reservationWorkflowId(admitted.reservationId),
      servers: admitted.serverIds.length,
    });
    if (body.server.return_reservation_id) {
      res.status(202).json({ reservation_id: admitted.reservationId });
      return;
    }
    const id = admitted.serverIds[0];
    // A repeat of a keyed request does not show a generated password again.
    const adminPass = body.server.adminPass ?? admitted.adminPass;
    const serverLinks = links(req, 'servers', id);
    res.setHeader('Location', serverLinks[0].href);
    res.status(202).json({
      server: {
        id,
        links: serverLinks,
        'OS-DCF:diskConfig': createReq.diskConfig,
        security_groups: createReq.securityGroups.map((name) => ({ name })),
        ...(adminPass ? { adminPass } : {}),
      },
    });
  });

  /** Admits a create; a keyed request that was made before gets the first request's answer instead. */
  const admitOnce = async (
    createReq: CreateRequest,
  ): Promise<Omit<AdmitResult, 'admitted' | 'adminPass'> & { adminPass?: string }> => {
    const hash = createReq.idempotency?.requestHash;
    if (hash === undefined) return admit(deps.client, batcher, createReq);
    const first = await firstAnswer(deps.client, createReq.reservationId, createReq.projectId, hash);
    if (first) return first;
    try {
      return await admit(deps.client, batcher, createReq);
    } catch (err) {
      // The same key raced in through another request (or API process) and started first.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const raced = await firstAnswer(deps.client, createReq.reservationId, createReq.projectId, hash);
      if (!raced) throw err;
      return raced;
    }
  };

  const list = async (req: Request, detail: boolean) => {
    const { caller } = ctx(req);
    checkServerQuery(req);
    const status = queryString(req, 'status')?.toUpperCase();
    // A status no server can have matches none, as in Nova (an empty list, not a 400).
    const noSuchStatus = status !== undefined && !SERVER_STATUSES.includes(status);
    const allTenantsParam = queryString(req, 'all_tenants');
    const allTenants =
      allTenantsParam !== undefined &&
      !['0', 'false', 'f', 'no', 'off'].includes(allTenantsParam.toLowerCase());
    // As in Nova: asking for every project's servers is a policy of its own (admin by default).
    if (allTenants) ctx(req).enforce(`os_compute_api:servers:${detail ? 'detail' : 'index'}:get_all_tenants`);
    const listed = noSuchStatus
      ? []
      : await listServers(deps.client, caller, {
          reservationId: queryString(req, 'reservation_id'),
          status,
          name: queryString(req, 'name'),
          flavor: queryString(req, 'flavor')?.split('/').pop(),
          image: queryString(req, 'image')?.split('/').pop(),
          changesSince: queryString(req, 'changes-since'),
          allTenants,
          // Nova's admin filters: a project among all, a host (ignored for others, as Nova drops them).
          projectId: allTenants
            ? (queryString(req, 'tenant_id') ?? queryString(req, 'project_id'))
            : undefined,
          host: caller.isAdmin ? queryString(req, 'host') : undefined,
        });
    const servers = await filterByView(req, filterByFields(req, filterByTags(req, listed)), opts.decorators);
    const { limit, marker } = pageParams(req);
    let start = 0;
    if (marker) {
      const at = servers.findIndex((s) => s.id === marker);
      if (at < 0) throw badRequest(`marker [${marker}] not found`);
      start = at + 1;
    }
    let page = servers.slice(start, start + limit);
    // The detail view shows a building server's live progress, as the single server view does.
    if (detail) page = await mapLimit(page, 16, (s) => withLiveProgress(deps.client, s));
    const body: Record<string, unknown> = {
      servers: page.map((s) =>
        detail ? serverDetail(req, s, opts.decorators, { list: true }) : serverSummary(req, s),
      ),
    };
    if (page.length > 0 && start + limit < servers.length) {
      const params = new URLSearchParams(req.query as Record<string, string>);
      params.set('marker', page[page.length - 1].id);
      params.set('limit', String(limit));
      body.servers_links = [
        {
          rel: 'next',
          href: `${ctx(req).baseUrl}/v2.1/${caller.projectId}/servers${detail ? '/detail' : ''}?${params}`,
        },
      ];
    }
    return body;
  };
  r.get('/servers', async (req, res) => {
    res.json(await list(req, false));
  });
  r.get('/servers/detail', async (req, res) => {
    res.json(await list(req, true));
  });
  r.get('/servers/:id', async (req, res) => {
    const record = await withLiveProgress(
      deps.client,
      await getServer(deps.client, ctx(req).caller, req.params.id),
    );
    res.json({ server: serverDetail(req, record, opts.decorators) });
  });
  r.delete('/servers/:id', async (req, res) => {
    await serverAction(deps.client, ctx(req).caller, req.params.id, { type: 'delete' });
    res.status(204).end();
  });
  /**
   * Nova's rebuild: the server spawned again on its host from another image (name, metadata,
   * access addresses and description changed with it). The new image is checked as a create of this
   * server would check it — the create checks run on the server's request with the new image, no NIC
   * and no key — and what they capture for the guest replaces what the old image left.
   */
  const rebuild = async (req: Request, input: unknown) => {
    const body = parseBody(Rebuild, input);
    for (const [field, minor] of Object.entries(REBUILD_FIELDS_FROM))
      if ((body as Record<string, unknown>)[field] !== undefined && !atLeast(req, minor))
        throw badRequest(
          `Invalid input for field/attribute rebuild. Additional properties are not allowed ('${field}' was unexpected)`,
        );
    if (body.hostname !== undefined) {
      const problem = hostnameProblem(body.hostname, atLeast(req, 94));
      if (problem) throw badRequest(problem);
    }
    const { caller } = ctx(req);
    const id = req.params.id as string;
    const found = await visibleServer(deps.client, caller, id);
    const probe = {
      ...found.record,
      requestId: caller.requestId,
      imageRef: body.imageRef,
      networks: 'none' as const,
      // The key is checked when the rebuild names one (2.54); the server's own was checked at create.
      keyName: body.key_name ?? null,
      securityGroups: ['default'],
      minCount: 1,
      maxCount: 1,
      extensions: opts.extensions,
      serverIds: [id],
    };
    let guest: Record<string, Record<string, unknown>> | undefined;
    let shown: Record<string, Record<string, unknown>> | undefined;
    const checks = await Promise.allSettled((opts.validators ?? []).map((v) => v(deps, caller, probe)));
    for (const check of checks) {
      if (check.status === 'rejected') throw check.reason;
      if (check.value?.guest) guest = { ...guest, ...check.value.guest };
      if (check.value?.shown) shown = { ...shown, ...check.value.shown };
    }
    const changes = {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.metadata !== undefined ? { metadata: body.metadata } : {}),
      ...(body.accessIPv4 !== undefined ? { accessIPv4: body.accessIPv4 } : {}),
      ...(body.accessIPv6 !== undefined ? { accessIPv6: body.accessIPv6 } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.hostname !== undefined ? { hostname: body.hostname } : {}),
      ...(body.key_name !== undefined ? { keyName: body.key_name } : {}),
    };
    if (body.metadata && Object.keys(body.metadata).length > MAX_METADATA_ITEMS)
      throw forbidden(METADATA_LIMIT_MESSAGE);
    await serverAction(deps.client, caller, id, {
      type: 'rebuild',
      imageRef: body.imageRef,
      ...(guest ? { guest } : {}),
      ...(shown ? { shown } : {}),
      changes,
    });
    const record = await getServer(deps.client, caller, id);
    const view = serverDetail(req, record, opts.decorators, { update: true });
    // 2.54: the rebuild answer shows the key (a rebuild may change it).
    if (atLeast(req, 54)) view.key_name = record.keyName;
    // 2.57: the rebuild's user data beside the view (novaflow keeps no user data, so only what came).
    if (atLeast(req, 57)) {
      delete view['OS-EXT-SRV-ATTR:user_data'];
      view.user_data = body.user_data ?? null;
    }
    return { server: { ...view, adminPass: body.adminPass ?? newAdminPass() } };
  };

  r.post('/servers/:id/action', async (req, res) => {
    const added = extensionAction(opts.actions ?? {}, req.body);
    if (added) {
      const out = await added.handler(deps, req, req.params.id, added.input);
      if (out.body === undefined) res.status(out.status).end();
      else res.status(out.status).json(out.body);
      return;
    }
    const key = actionKey(req.body);
    if (key === 'rebuild') {
      res.status(202).json(await rebuild(req, (req.body as { rebuild: unknown }).rebuild));
      return;
    }
    if (key !== undefined && Object.hasOwn(EDIT_ACTIONS, key)) {
      await EDIT_ACTIONS[key](deps, req, (req.body as Record<string, unknown>)[key]);
      res.status(202).end();
      return;
    }
    if (key !== undefined && NOT_OFFERED_ACTIONS.has(key)) {
      await visibleServer(deps.client, ctx(req).caller, req.params.id);
      throw badRequest(`The action ${key} is not offered by this cloud.`);
    }
    const action = toAction(req.body);
    await serverAction(deps.client, ctx(req).caller, req.params.id, action);
    res.status(202).end();
  });
  return r;
}
