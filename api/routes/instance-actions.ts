import type { Request } from 'express';
import { Router } from 'express';
import { badRequest } from '../../common/errors';
import type { InstanceAction, ServerRecord } from '../../entities/server/types';
import type { ApiDeps } from '../context';
import { atLeast, ctx } from '../context';
import { findAction, pageActions, serverForActions } from '../usecases/instance-actions';
import { hostId } from '../views/servers';
import { novaLocalTime } from '../views/time';

function query(req: Request, key: string): string | undefined {
  const v = req.query[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badRequest(`Invalid value for query parameter ${key}`);
  return v;
}

function actionView(req: Request, record: ServerRecord, a: InstanceAction) {
  const view: Record<string, unknown> = {
    action: a.action,
    instance_uuid: record.id,
    message: a.message,
    project_id: a.projectId,
    request_id: a.requestId,
    start_time: novaLocalTime(a.startTime),
    user_id: a.userId,
  };
  if (atLeast(req, 58)) view.updated_at = novaLocalTime(a.updatedAt);
  return view;
}

function eventsView(req: Request, record: ServerRecord, a: InstanceAction) {
  const { isAdmin } = ctx(req).caller;
  return a.events.map((e) => {
    const view: Record<string, unknown> = {
      event: e.event,
      start_time: novaLocalTime(e.startTime),
      finish_time: novaLocalTime(e.finishTime),
      result: e.result,
    };
    if (isAdmin) view.traceback = e.traceback;
    // Nova adds `host` at 2.62, beyond our newest microversion; admins need it to read reschedules.
    if (isAdmin) view.host = e.host ?? '';
    if (atLeast(req, 62)) view.hostId = hostId(record.projectId, e.host);
    if (atLeast(req, 84)) view.details = e.result === 'Error' ? e.traceback : null;
    return view;
  });
}

function limitOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw badRequest(
      `Invalid input for query parameters limit. Value: ${raw}. '${raw}' is not a 'positive integer'`,
    );
  return n;
}

/** Nova's os-instance-actions: the audit trail every server entity keeps of what was done to it. */
export function instanceActionRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.get('/servers/:id/os-instance-actions', async (req, res) => {
    const record = await serverForActions(deps.client, ctx(req).caller, req.params.id, atLeast(req, 21));
    const paged = atLeast(req, 58);
    const actions = pageActions(record.actions, {
      limit: paged ? limitOf(query(req, 'limit')) : undefined,
      marker: paged ? query(req, 'marker') : undefined,
      changesSince: paged ? query(req, 'changes-since') : undefined,
      changesBefore: atLeast(req, 66) ? query(req, 'changes-before') : undefined,
    });
    res.json({ instanceActions: actions.map((a) => actionView(req, record, a)) });
  });
  r.get('/servers/:id/os-instance-actions/:requestId', async (req, res) => {
    const { caller } = ctx(req);
    const record = await serverForActions(deps.client, caller, req.params.id, atLeast(req, 21));
    const action = findAction(record, req.params.requestId);
    const view = actionView(req, record, action);
    // Events are an admin view before 2.51; from then on owners see them too, without tracebacks.
    if (caller.isAdmin || atLeast(req, 51)) view.events = eventsView(req, record, action);
    res.json({ instanceAction: view });
  });
  return r;
}
