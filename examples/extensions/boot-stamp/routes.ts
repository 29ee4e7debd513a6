import { Router } from 'express';
import { notFound } from '../../../common/errors';
import { serverWorkflowId } from '../../../common/names';
import type { ApiDeps } from '../../../api/context';
import { ctx } from '../../../api/context';
import { getServer } from '../../../api/usecases/servers';
import { BOOT_STAMP_MEMO } from './stamp';

/** `GET /servers/{id}/os-boot-stamp`: the stamp the compute node wrote after the boot. */
export function bootStampRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.get('/servers/:id/os-boot-stamp', async (req, res) => {
    const server = await getServer(deps.client, ctx(req).caller, req.params.id);
    const description = await deps.client.workflow.getHandle(serverWorkflowId(server.id)).describe();
    const stamp = description.memo?.[BOOT_STAMP_MEMO];
    if (!stamp) throw notFound(`Server ${server.id} has no boot stamp.`);
    res.json({ boot_stamp: stamp });
  });
  return r;
}
