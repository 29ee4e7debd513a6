import { temporal } from '@temporalio/proto';
import {
  ADMISSION_TASK_QUEUE,
  CONTROL_TASK_QUEUE,
  hostWorkflowId,
  reservationWorkflowId,
} from '../common/names';
import { CORE_ADMISSION_ENTITIES, moveToAdmissionQueue } from '../entities/move';
import { hostStateQuery } from '../entities/host/messages';
import type { hostWorkflow } from '../entities/host/workflow';
import { ipamWorkflowId, listPortsQuery } from '../extensions/networks/messages';
import type { ipamWorkflow } from '../extensions/networks/workflow';
import type { PortRecord } from '../extensions/networks/types';
import { eventually, startStack, waitForStatus, type Stack } from './support/stack';

const EventType = temporal.api.enums.v1.EventType;
const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const TOKEN = 'slots:one';
let stack: Stack;

beforeAll(async () => {
  // Two workflow tasks at a time on the control worker (its fewest with a cache): a reservation's
  // schedule and a server's network prepare run as local activities in those slots while they wait on
  // host and address entities. Were those on the control queue too, two waiting tasks would hold
  // every slot they need.
  stack = await startStack({ hosts: [{ name: 'a1' }, { name: 'a2' }], controlConcurrency: 2 });
});
afterAll(async () => {
  await stack?.shutdown();
});

describe('when the control worker has two workflow task slots', () => {
  it('then creates whose tasks wait on hosts and address pools in local activities all build', async () => {
    const created = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        stack.api('POST', '/v2.1/servers', {
          token: TOKEN,
          body: {
            server: { name: `one-${i}`, flavorRef: '1', imageRef: IMAGE, return_reservation_id: true },
          },
        }),
      ),
    );
    expect(created.map((r) => r.status)).toEqual(Array(8).fill(202));
    const ids: string[] = [];
    for (const r of created) {
      const record = await stack.client.workflow
        .getHandle(reservationWorkflowId(r.body.reservation_id))
        .result();
      expect(record.active).toBe(1);
      ids.push(...record.serverIds);
      const history =
        (await stack.client.workflow.getHandle(reservationWorkflowId(r.body.reservation_id)).fetchHistory())
          .events ?? [];
      // Scheduled within its workflow task: no activity task.
      expect(
        history.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
      ).toHaveLength(0);
    }
    for (const id of ids) await waitForStatus(stack, id, ['ACTIVE'], TOKEN);
    for (const id of ids)
      expect((await stack.api('DELETE', `/v2.1/servers/${id}`, { token: TOKEN })).status).toBe(204);
    await eventually(async () => {
      const states = await Promise.all(
        ['a1', 'a2'].map((h) => stack.client.workflow.getHandle(hostWorkflowId(h)).query(hostStateQuery)),
      );
      return states.every((s) => Object.keys(s.allocations).length === 0) ? true : undefined;
    });
  });

  it('then the host entities run on the admission queue', async () => {
    const d = await stack.client.workflow.getHandle(hostWorkflowId('a1')).describe();
    expect(d.taskQueue).toBe(ADMISSION_TASK_QUEUE);
  });
});

describe('when an older release left a host entity and an address pool on the control queue', () => {
  it('then the admission worker moves them there, keeping their claims and ports', async () => {
    const resources = { vcpus: 1, ram: 512, disk: 1 };
    await stack.client.workflow.start<typeof hostWorkflow>('hostWorkflow', {
      workflowId: hostWorkflowId('old-host'),
      taskQueue: CONTROL_TASK_QUEUE,
      args: [
        {
          name: 'old-host',
          state: {
            name: 'old-host',
            inventory: null,
            enabled: true,
            disabledReason: null,
            lastHeartbeat: 0,
            allocations: { kept: resources },
          },
        },
      ],
    });
    const port: PortRecord = {
      id: 'p-old',
      key: 'server-old#0',
      project_id: 'one',
      created_at: '2026-12-01T00:00:00Z',
      network_id: 'old-net',
      device_id: 'server-old',
      device_owner: 'compute:nova',
      mac_address: 'fa:16:3e:00:00:01',
      fixed_ips: [{ subnet_id: 'old-subnet', ip_address: '10.9.0.2' }],
    };
    await stack.client.workflow.start<typeof ipamWorkflow>('ipamWorkflow', {
      workflowId: ipamWorkflowId('old-net'),
      taskQueue: CONTROL_TASK_QUEUE,
      args: [{ networkId: 'old-net', ports: [port] }],
    });
    const types = [...CORE_ADMISSION_ENTITIES, 'ipamWorkflow'];
    // Visibility lists them once it has indexed their start, maybe one in one pass and the other in the
    // next (the first, moved, is no longer listed then): count the moves over the passes.
    let moved = 0;
    await eventually(async () =>
      (moved += await moveToAdmissionQueue(stack.client, types)) >= 2 ? true : undefined,
    );
    await eventually(async () => {
      const [host, pool] = await Promise.all([
        stack.client.workflow.getHandle(hostWorkflowId('old-host')).describe(),
        stack.client.workflow.getHandle(ipamWorkflowId('old-net')).describe(),
      ]);
      return host.taskQueue === ADMISSION_TASK_QUEUE && pool.taskQueue === ADMISSION_TASK_QUEUE
        ? true
        : undefined;
    });
    const host = await stack.client.workflow.getHandle(hostWorkflowId('old-host')).query(hostStateQuery);
    expect(host.allocations).toEqual({ kept: resources });
    const ports = await stack.client.workflow.getHandle(ipamWorkflowId('old-net')).query(listPortsQuery);
    expect(ports.map((p) => p.device_id)).toEqual(['server-old']);
    // Nothing is left to move.
    await eventually(async () =>
      (await moveToAdmissionQueue(stack.client, types)) === 0 ? true : undefined,
    );
  });
});
