import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { hostWorkflowId, quotaWorkflowId, reservationWorkflowId, serverWorkflowId } from '../../common/names';
import { workflowEntry } from '../../extensions/bundle';
import { builtinWorkflowModules, builtinWorkflowTypes } from '../../extensions/registry';
import { serverGroupWorkflowId } from '../../extensions/scheduler-hints/workflow';
import { freePort, registerSearchAttributes, ROOT, startDevServer } from '../../scripts/temporal';
import { historyToJson } from './history-json';
import { startReservation } from '../../entities/reservation/client';
import { apiCreateRequest, eventually, startStack, waitForStatus } from './stack';

/**
 * Regenerates test/histories/*.json for the replay test: `npx tsx test/support/record-histories.ts`,
 * or only the named ones (`... record-histories.ts reservation-cancel-before-spawn`), so histories of
 * older workflow versions stay as they were recorded.
 * A script rather than a test because protobufjs's JSON converter does not survive jest's module
 * registry. Record again only on purpose (a deliberate, versioned change); commit the files.
 */
const HISTORIES = path.join(ROOT, 'test', 'histories');
const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const ADMIN = 'admin:admin';
const NAMESPACE = 'nf-record';

async function main() {
  const dir = path.join(ROOT, '.data', 'record-histories');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const server = await startDevServer({
    port: await freePort(),
    dbFile: path.join(dir, 'temporal.db'),
    namespaces: [NAMESPACE],
  });
  await registerSearchAttributes(server.address, NAMESPACE);
  const { code } = await bundleWorkflowCode({
    workflowsPath: workflowEntry(builtinWorkflowTypes()),
    workflowInterceptorModules: builtinWorkflowModules(),
  });
  fs.writeFileSync(path.join(dir, 'bundle.js'), code);
  process.env.NOVAFLOW_TEST_DIR = dir;
  const stack = await startStack({
    // r1 has the most free RAM, so the spread weigher tries it first (the build-steps scenario fails it).
    hosts: [{ name: 'r1', driver: { inventory: { ram: 65536 } } }, { name: 'r2' }],
    address: server.address,
    namespace: NAMESPACE,
    workflowBundlePath: path.join(dir, 'bundle.js'),
  });
  try {
    const group = await stack.api('POST', '/v2.1/os-server-groups', {
      body: { server_group: { name: 'spread', policies: ['anti-affinity'] } },
    });
    const groupId = group.body.server_group.id;
    const created = await stack.api('POST', '/v2.1/servers', {
      body: {
        server: { name: 'rp', imageRef: IMAGE, flavorRef: '1', min_count: 2, return_reservation_id: true },
        'os:scheduler_hints': { group: groupId },
      },
    });
    const reservationId = created.body.reservation_id;
    const servers = await eventually(async () => {
      const r = await stack.api('GET', `/v2.1/servers?reservation_id=${reservationId}`);
      return r.body.servers.length === 2 ? (r.body.servers as { id: string }[]) : undefined;
    });
    for (const s of servers) await waitForStatus(stack, s.id, ['ACTIVE'], ADMIN);
    const first = servers[0].id;
    await stack.api('POST', `/v2.1/servers/${first}/action`, { body: { reboot: { type: 'SOFT' } } });
    await waitForStatus(stack, first, ['ACTIVE']);
    await stack.api('DELETE', `/v2.1/servers/${first}`);
    await eventually(async () =>
      (await stack.api('GET', `/v2.1/servers/${first}`)).status === 404 ? true : undefined,
    );
    // A server deleted while its reservation still waits for its admission (the update it names is
    // never sent, so it waits 5 s): the reservation drops it and builds the other.
    const early = apiCreateRequest(
      stack,
      { userId: 'demo', projectId: 'demo', requestId: 'req-record-cancel' },
      { name: 'pair', imageRef: IMAGE, flavorRef: '1', min_count: 2 },
    );
    await startReservation(stack.client, early, 'reserve-batch/never-sent');
    await stack.api('DELETE', `/v2.1/servers/${early.serverIds![0]}`);
    await stack.client.workflow.getHandle(reservationWorkflowId(early.reservationId)).result();
    // A server group that held its unit of quota and gave it back when deleted.
    const counted = await stack.api('POST', '/v2.1/os-server-groups', {
      body: { server_group: { name: 'counted', policies: ['affinity'] } },
    });
    const countedId = counted.body.server_group.id;
    await stack.api('DELETE', `/v2.1/os-server-groups/${countedId}`);
    await stack.client.workflow.getHandle(serverGroupWorkflowId(countedId)).result();

    // A server with a key pair and a network (three build steps), rescheduled once (its port released
    // and taken again), then deleted (released for good); an aggregate that told its host its zone.
    await stack.api('POST', '/v2.1/os-keypairs', { body: { keypair: { name: 'rk' } } });
    stack.drivers.r1.failSpawn = 'reschedule';
    const stepped = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'steps', imageRef: IMAGE, flavorRef: '1', key_name: 'rk', networks: 'auto' } },
      headers: { 'OpenStack-API-Version': 'compute 2.37' },
    });
    const steppedId = stepped.body.server.id;
    await waitForStatus(stack, steppedId, ['ACTIVE']);
    stack.drivers.r1.failSpawn = null;
    await stack.api('DELETE', `/v2.1/servers/${steppedId}`);
    await stack.client.workflow.getHandle(serverWorkflowId(steppedId)).result();
    const agg = await stack.api('POST', '/v2.1/os-aggregates', {
      token: ADMIN,
      body: { aggregate: { name: 'rec', availability_zone: 'rec-zone' } },
    });
    const aggId = agg.body.aggregate.id;
    await stack.api('POST', `/v2.1/os-aggregates/${aggId}/action`, {
      token: ADMIN,
      body: { add_host: { host: 'r2' } },
    });
    await stack.api('POST', `/v2.1/os-aggregates/${aggId}/action`, {
      token: ADMIN,
      body: { set_metadata: { metadata: { filter_tenant_id: 'demo' } } },
    });

    const ids: Record<string, string> = {
      'server-build-steps': serverWorkflowId(steppedId),
      ipam: 'ipam/3e5b1f0a-8c57-4d1e-9f2a-6b0d4c3a2e10',
      aggregates: 'aggregates',
      'reservation-cancel-before-spawn': reservationWorkflowId(early.reservationId),
      'server-group-with-quota': serverGroupWorkflowId(countedId),
      'reservation-with-hints': reservationWorkflowId(reservationId),
      'server-rebooted-deleted': serverWorkflowId(first),
      // The same scenarios recorded again once deletes released together, unchanged search attributes
      // were kept and one start call ran locally (the histories above replay the paths before them).
      'server-released-together': serverWorkflowId(first),
      'reservation-started-locally': reservationWorkflowId(reservationId),
      // Again once a server told other entities through one local activity (revision 2).
      'server-told-locally': serverWorkflowId(first),
      // Again once a reservation scheduled within its first workflow task (revision 2) and build steps
      // ran as local activities (server revision 3), rescheduled once and deleted.
      'reservation-scheduled-locally': reservationWorkflowId(reservationId),
      'server-steps-locally': serverWorkflowId(steppedId),
      host: hostWorkflowId('r1'),
      'server-group': serverGroupWorkflowId(groupId),
      quota: quotaWorkflowId('demo'),
      // Again once an address entity republished its count only when it moved by its slack (revision 1).
      'ipam-slack': 'ipam/3e5b1f0a-8c57-4d1e-9f2a-6b0d4c3a2e10',
      // Again once a reservation read its server ids from its memo, not its input (revision 3).
      'reservation-ids-in-memo': reservationWorkflowId(reservationId),
      'reservation-cancel-ids-in-memo': reservationWorkflowId(early.reservationId),
    };
    fs.mkdirSync(HISTORIES, { recursive: true });
    const only = process.argv.slice(2);
    for (const [name, workflowId] of Object.entries(ids)) {
      if (only.length > 0 && !only.includes(name)) continue;
      const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
      fs.writeFileSync(path.join(HISTORIES, `${name}.json`), `${historyToJson(history)}\n`);
      console.log(`recorded ${workflowId} -> test/histories/${name}.json (${history.events?.length} events)`);
    }
  } finally {
    await stack.shutdown();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
