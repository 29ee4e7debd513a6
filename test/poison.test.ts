import { randomBytes } from 'node:crypto';
import { CONTROL_TASK_QUEUE, reservationWorkflowId } from '../common/names';
import { requestIds } from '../common/ids';
import { findFlavor } from '../common/flavors';
import type { CreateRequest, ReservationRecord } from '../entities/reservation/types';
import { startStack, type Stack } from './support/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: [{ name: 'p1' }], admissionWaitMs: 200 });
});
afterAll(async () => {
  // A worker still retrying a poisoned workflow would overrun its shutdown here.
  await stack?.shutdown();
});

describe('when a request reaches a workflow although it can never proceed', () => {
  it('then the workflow ends at once with no servers instead of retrying for ever', async () => {
    // What an edge without checks let through: a project id Temporal refuses in a workflow id.
    const projectId = 'p'.repeat(1200);
    const { reservationId, serverIds } = requestIds(1, randomBytes(6), randomBytes);
    const req: CreateRequest = {
      reservationId,
      requestId: 'req-poison',
      projectId,
      userId: 'u',
      name: 'poison',
      imageRef: '',
      flavor: findFlavor('1')!,
      minCount: 1,
      maxCount: 1,
      metadata: {},
      availabilityZone: null,
      keyName: null,
      securityGroups: ['default'],
      diskConfig: 'AUTO',
      description: null,
      extensions: [],
      extra: {},
      serverIds,
      admissionUpdateId: 'never-sent',
    };
    const handle = await stack.client.workflow.start('reservationWorkflow', {
      workflowId: reservationWorkflowId(reservationId),
      taskQueue: CONTROL_TASK_QUEUE,
      args: [req],
    });
    const record: ReservationRecord = await handle.result();
    expect(record.stage).toBe('done');
    expect(record.serverIds).toEqual([]);
    const { historyLength } = await handle.describe();
    // Before: still failing every 5 s after 18 minutes, 426 events and counting.
    expect(historyLength).toBeLessThan(30);
  }, 60_000);
});
