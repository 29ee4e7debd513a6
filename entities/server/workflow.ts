import { condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { ENTITY_HISTORY_LIMIT } from '../../workflows/entity';
import type { ServerWorkflowInput } from '../reservation/stages';
import { build } from './build';
import { ServerEntity, type ServerContinuation } from './entity';
import {
  acceptAction,
  applyEdit,
  notePowerReport,
  perform,
  syncPower,
  validateAction,
  validateEdit,
} from './lifecycle';
import { describeServerQuery, editServerUpdate, powerReportSignal, serverActionUpdate } from './messages';
import type { ServerRecord } from './types';

export { MAX_ATTEMPTS } from './build';
export type { ServerContinuation } from './entity';

/**
 * server/<uuid>: one instance for its whole life. It builds on its claimed host (rescheduling on
 * alternates when the driver says "try elsewhere": build.ts), then serves lifecycle actions until
 * deleted (lifecycle.ts; a retry of a failed build re-enters admission and scheduling: retry.ts).
 */
export async function serverWorkflow(
  input: ServerWorkflowInput,
  resumed?: ServerContinuation,
): Promise<ServerRecord> {
  const s = new ServerEntity(input, resumed);
  const { record, seed } = s;

  setHandler(describeServerQuery, () => record);
  setHandler(serverActionUpdate, (req) => acceptAction(s, req), {
    validator: (req) => validateAction(s, req),
  });
  setHandler(editServerUpdate, (edit) => applyEdit(s, edit), { validator: (edit) => validateEdit(s, edit) });
  setHandler(powerReportSignal, (report) => notePowerReport(s, report));

  if (!resumed) {
    const create = s.log.start('create', {
      userId: seed.userId,
      projectId: seed.projectId,
      requestId: input.requestId,
    });
    if (input.fault) {
      create.message = 'Error';
      s.touch();
    } else if (input.placement) {
      await build(s, input.placement, create);
    }
    await s.reportBuilt();
  }

  for (;;) {
    await condition(() => s.queue.length > 0 || workflowInfo().historyLength > ENTITY_HISTORY_LIMIT);
    const next = s.queue.shift();
    if (!next) {
      await continueAsNew<typeof serverWorkflow>(input, { record, input, holdsQuota: s.holdsQuota });
      return record;
    }
    if ('powerReport' in next) await syncPower(s, next.powerReport);
    else await perform(s, next);
    if (record.vmState === 'deleted') return record;
  }
}
