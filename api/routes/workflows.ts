import { Router } from 'express';
import { forbidden, notFound } from '../../common/errors';
import { isEntityWorkflowId } from '../../common/ids';
import type { ApiDeps } from '../context';
import { ctx } from '../context';
import { workflowHistory } from '../usecases/history';

/** Operators' view of any workflow's history (reservations, servers, hosts, quotas): admin only. */
export function workflowRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.get('/os-workflows/:workflowId/history', async (req, res) => {
    if (!ctx(req).caller.isAdmin)
      throw forbidden("Policy doesn't allow os_compute_api:os-workflows:history to be performed.");
    const id = req.params.workflowId;
    if (!isEntityWorkflowId(id)) throw notFound(`Workflow ${id} could not be found.`);
    res.json({ history: await workflowHistory(deps, id) });
  });
  return r;
}
