import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { listPorts } from '../extensions/networks/client';
import { eventually, startStack, type Stack } from './support/stack';

const ROOT = path.resolve(__dirname, '..');
const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const PRIVATE = '3e5b1f0a-8c57-4d1e-9f2a-6b0d4c3a2e10';
let stack: Stack;
const children: ChildProcess[] = [];

/** Starts the control worker as a process; resolves once it polls, with a stream of its lines. */
async function startControl(holdMs: number): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'test/support/control-process.ts')],
    {
      env: { ...process.env, TEMPORAL_NAMESPACE: stack.namespace, HOLD_AFTER_PREPARE_MS: String(holdMs) },
      // Its worker's logs are not the test's: stderr is drained, not shown.
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  const lines: string[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  child.stderr!.resume();
  await eventually(
    async () => (lines.includes('control worker running') ? true : undefined),
    60_000,
    'the control worker',
  );
  return { child, lines };
}

beforeAll(async () => {
  stack = await startStack({ hosts: [{ name: 'nk-1' }, { name: 'nk-2' }], externalControl: true });
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await stack?.shutdown();
});

describe('when the control worker is killed with SIGKILL after an address was decided but before it reported it', () => {
  it('then every server still ends ACTIVE with one address of its own, and deleting them frees every one', async () => {
    const first = await startControl(5000);
    const r = await stack.api('POST', '/v2.1/servers', {
      body: {
        server: { name: 'kill', flavorRef: '1', imageRef: IMAGE, min_count: 3, return_reservation_id: true },
      },
    });
    expect(r.status).toBe(202);
    await eventually(
      async () => (first.lines.some((l) => l.startsWith('prepared ')) ? true : undefined),
      60_000,
      'an address',
    );
    first.child.kill('SIGKILL');
    await new Promise((res) => first.child.once('exit', res));
    expect(first.child.signalCode).toBe('SIGKILL');
    await startControl(0);

    const servers = await eventually(
      async () => {
        const list =
          (await stack.api('GET', `/v2.1/servers/detail?reservation_id=${r.body.reservation_id}`)).body
            .servers ?? [];
        return list.length === 3 && list.every((s: any) => s.status === 'ACTIVE') ? list : undefined;
      },
      150_000,
      'three servers ACTIVE',
    );
    const ports = await listPorts(stack.client, PRIVATE);
    expect(ports).toHaveLength(3);
    for (const s of servers) {
      const mine = ports.filter((p) => p.device_id === s.id);
      expect(mine).toHaveLength(1);
      expect(s.addresses.private).toEqual([
        expect.objectContaining({ addr: mine[0].fixed_ips[0].ip_address }),
      ]);
    }
    expect(new Set(ports.map((p) => p.fixed_ips[0].ip_address)).size).toBe(3);

    for (const s of servers) expect((await stack.api('DELETE', `/v2.1/servers/${s.id}`)).status).toBe(204);
    await eventually(
      async () => ((await listPorts(stack.client, PRIVATE)).length === 0 ? true : undefined),
      60_000,
      'every port freed',
    );
  }, 240_000);
});
