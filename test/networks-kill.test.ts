import { listPorts } from '../extensions/networks/client';
import { killControls, startControl as startControlOf } from './support/control-child';
import { eventually, startStack, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const PRIVATE = '3e5b1f0a-8c57-4d1e-9f2a-6b0d4c3a2e10';
let stack: Stack;

/** The control worker as a process; its networks step holds each decided address `holdMs`. */
const startControl = (holdMs: number) => startControlOf(stack, { HOLD_AFTER_PREPARE_MS: String(holdMs) });

beforeAll(async () => {
  stack = await startStack({ hosts: [{ name: 'nk-1' }, { name: 'nk-2' }], externalControl: true });
});
afterAll(async () => {
  killControls();
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
