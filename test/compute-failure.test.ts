import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { describeServerQuery } from '../entities/server/messages';
import { serverWorkflowId } from '../common/names';
import { eventually, startStack, waitForStatus, type Stack } from './support/stack';

const ROOT = path.resolve(__dirname, '..');
let stack: Stack;
let node: ChildProcess | undefined;

beforeAll(async () => {
  stack = await startStack({
    hosts: [{ name: 'k-alive' }],
    heartbeatMs: 500,
    scheduler: { downAfterMs: 3000 },
  });
});
afterAll(async () => {
  node?.kill('SIGKILL');
  await stack?.shutdown();
});

describe('when a compute node process is killed while it spawns', () => {
  it('then the server is rescheduled to another host and ends ACTIVE there', async () => {
    // A real compute-node process with more free RAM than k-alive, so the spread weigher picks it.
    node = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'workers/compute-main.ts'), '--host', 'k-doomed'],
      {
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: process.env.NOVAFLOW_TEST_TEMPORAL_ADDRESS,
          TEMPORAL_NAMESPACE: stack.namespace,
          NOVAFLOW_FAKE_RAM_MB: '131072',
          NOVAFLOW_FAKE_SPAWN_MS: '600000',
          NOVAFLOW_HEARTBEAT_MS: '500',
        },
        stdio: 'ignore',
      },
    );
    await eventually(
      async () => {
        const r = await stack.api('GET', '/v2.1/os-services', { token: 'admin:admin' });
        return r.body.services?.some((s: any) => s.host === 'k-doomed' && s.state === 'up')
          ? true
          : undefined;
      },
      60_000,
      'the k-doomed node to register',
    );

    const r = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'victim', flavorRef: '1' } },
    });
    const id = r.body.server.id;
    const handle = stack.client.workflow.getHandle(serverWorkflowId(id));
    await eventually(
      async () => {
        const rec = await handle.query(describeServerQuery);
        return rec.host === 'k-doomed' && rec.taskState === 'spawning' ? true : undefined;
      },
      30_000,
      'the spawn on k-doomed',
    );
    await new Promise((res) => setTimeout(res, 1000));
    node.kill('SIGKILL');

    await waitForStatus(stack, id, ['ACTIVE'], undefined, 150_000);
    const rec = await handle.query(describeServerQuery);
    expect(rec.host).toBe('k-alive');
    expect(rec.attempts.map((a) => [a.host, a.result])).toEqual([
      ['k-doomed', 'Error'],
      ['k-alive', 'Success'],
    ]);
    expect(stack.drivers['k-alive'].instances.has(id)).toBe(true);
  }, 200_000);
});
