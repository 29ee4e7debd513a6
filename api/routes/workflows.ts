import { Router } from 'express';
import { notFound } from '../../common/errors';
import { isEntityWorkflowId } from '../../common/ids';
import type { ApiDeps } from '../context';
import { workflowHistory } from '../usecases/history';

/** Operators' view of any workflow's history (reservations, servers, hosts, quotas): admin only. */
export function workflowRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.get('/os-workflows/:workflowId/history', async (req, res) => {
    const id = req.params.workflowId;
    if (!isEntityWorkflowId(id)) throw notFound(`Workflow ${id} could not be found.`);
    res.json({ history: await workflowHistory(deps, id) });
  });
  return r;
}
