import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { Router } from 'express';
import { z } from 'zod';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { badRequest, fromFailure, notFound } from '../../common/errors';
import { CONTROL_TASK_QUEUE } from '../../common/names';
import { NovaKind, NovaProject } from '../../common/search-attributes';
import { eq, visibilityQuery } from '../../common/visibility';
import { isUuid } from '../../common/ids';
import type { ApiDeps } from '../../api/context';
import { atLeast, ctx } from '../../api/context';
import { parseBody } from '../../api/schemas/validate';
import type { ServerGroupRecord } from './workflow';
import { withLiveMembers } from './members';
import {
  admitServerGroupUpdate,
  deleteServerGroupUpdate,
  describeServerGroupQuery,
  serverGroupWorkflowId,
} from './workflow';
import type { serverGroupWorkflow } from './workflow';

const policy = z.enum(['affinity', 'anti-affinity']);
const name = z.string().min(1, 'is too short').max(255, 'is too long');
/** Before 2.64 the policy is a one-item `policies` list; from 2.64 a `policy` string. */
export const CreateGroup = z
  .object({
    server_group: z
      .object({
        name,
        policies: z.array(policy).length(1, 'must hold exactly one policy').optional(),
        policy: policy.optional(),
        rules: z.record(z.string(), z.unknown()).optional(),
      })
      .strict()
      .refine((g) => (g.policies ? 1 : 0) + (g.policy ? 1 : 0) === 1, "'policies' is a required property"),
  })
  .strict();

function view(req: Request, g: ServerGroupRecord) {
  const base = { id: g.id, name: g.name, members: g.members, metadata: {} };
  // Nova shows a group's owners from 2.13.
  const owner = atLeast(req, 13) ? { project_id: g.projectId, user_id: g.userId } : {};
  if (atLeast(req, 64)) {
    const { metadata: _metadata, ...rest } = base;
    return { ...rest, ...owner, policy: g.policy, rules: {} };
  }
  return { ...base, ...owner, policies: [g.policy] };
}

/** The os-server-groups API over `servergroup/<uuid>` entities. */
export function serverGroupRoutes(deps: ApiDeps): Router {
  const r = Router();
  const load = async (req: Request, id: string): Promise<ServerGroupRecord> => {
    const { caller } = ctx(req);
    if (!isUuid(id)) throw notFound(`Instance group ${id} could not be found.`);
    const g = await deps.client.workflow
      .getHandle(serverGroupWorkflowId(id))
      .query(describeServerGroupQuery)
      .catch(() => null);
    if (!g || g.deleted || (!caller.isAdmin && g.projectId !== caller.projectId))
      throw notFound(`Instance group ${id} could not be found.`);
    return withLiveMembers(deps.client, g);
  };

  r.post('/os-server-groups', async (req, res) => {
    const { caller } = ctx(req);
    const body = parseBody(CreateGroup, req.body).server_group;
    // Before 2.64 a group names its `policies`; from 2.64 its `policy` (and `rules`, of which novaflow
    // enforces none, so only an empty set is taken).
    const wrong = atLeast(req, 64)
      ? body.policies
        ? 'policies'
        : undefined
      : body.policy
        ? 'policy'
        : body.rules
          ? 'rules'
          : undefined;
    if (wrong)
      throw badRequest(
        `Invalid input for field/attribute server_group. Additional properties are not allowed ('${wrong}' was unexpected)`,
      );
    if (body.rules && Object.keys(body.rules).length > 0)
      throw badRequest(
        `Invalid input for field/attribute rules. The rules ${Object.keys(body.rules).join(', ')} are not offered by this cloud.`,
      );
    const record: ServerGroupRecord = {
      id: randomUUID(),
      name: body.name,
      policy: body.policy ?? body.policies![0],
      projectId: caller.projectId,
      userId: caller.userId,
      members: [],
      deleted: false,
    };
    // The group holds a unit of the project's server_groups quota, reserved by the group itself in
    // one decision at the quota entity, so concurrent creates can never pass the limit together.
    const admitted = await deps.client.workflow
      .executeUpdateWithStart(admitServerGroupUpdate, {
        startWorkflowOperation: new WithStartWorkflowOperation<typeof serverGroupWorkflow>(
          'serverGroupWorkflow',
          {
            workflowId: serverGroupWorkflowId(record.id),
            taskQueue: CONTROL_TASK_QUEUE,
            args: [record],
            workflowIdConflictPolicy: 'FAIL',
            typedSearchAttributes: [
              { key: NovaKind, value: 'servergroup' },
              { key: NovaProject, value: record.projectId },
            ],
          },
        ),
      })
      .catch((err) => {
        throw fromFailure(err) ?? err;
      });
    res.json({ server_group: view(req, admitted) });
  });

  r.get('/os-server-groups', async (req, res) => {
    const { caller } = ctx(req);
    const all = ['1', 'true', 'True'].includes(String(req.query.all_projects));
    if (all) ctx(req).enforce('os_compute_api:os-server-groups:index:all_projects');
    const query = visibilityQuery(
      eq(NovaKind, 'servergroup'),
      eq('ExecutionStatus', 'Running'),
      all ? undefined : eq(NovaProject, caller.projectId),
    );
    const groups: ServerGroupRecord[] = [];
    for await (const wf of deps.client.workflow.list({ query })) {
      const g = await deps.client.workflow
        .getHandle(wf.workflowId)
        .query(describeServerGroupQuery)
        .catch(() => null);
      if (g && !g.deleted) groups.push(await withLiveMembers(deps.client, g));
    }
    res.json({ server_groups: groups.map((g) => view(req, g)) });
  });

  r.get('/os-server-groups/:id', async (req, res) => {
    res.json({ server_group: view(req, await load(req, req.params.id)) });
  });

  r.delete('/os-server-groups/:id', async (req, res) => {
    const g = await load(req, req.params.id);
    await deps.client.workflow.getHandle(serverGroupWorkflowId(g.id)).executeUpdate(deleteServerGroupUpdate);
    res.status(204).end();
  });
  return r;
}
