import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  GUEST_BOOT_PROPERTIES,
  GUEST_IMAGE_ID,
  GUEST_KERNEL_ID,
  GUEST_RAMDISK_ID,
} from '../common/guest-image';
import { QemuDriver } from '../drivers/qemu/driver';
import { assertQemuInstalled, QEMU_IMAGES, qemuProcesses } from './support/qemu';
import { eventually, startStack, waitForStatus, type Stack } from './support/stack';

/**
 * The qemu driver over HTTP: every server a real virtual machine booting novaflow's guest under QEMU
 * (TCG on a machine without working KVM), driven through the Nova API as a user would.
 */
const ROOT = path.resolve(__dirname, '..');
const ADMIN = 'admin:admin';
const BOOT_MS = 120_000;
const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'novaflow-qemu-http-'));
const stateDir = path.join(stateRoot, 'q-1');
let stack: Stack;
let driver: QemuDriver;
const children: ChildProcess[] = [];

// Each test boots real machines, several times: more than jest's default two minutes on a busy machine.
jest.setTimeout(300_000);

beforeAll(async () => {
  assertQemuInstalled();
  driver = new QemuDriver({
    stateDir,
    imageDir: QEMU_IMAGES,
    imageStores: [process.env.NOVAFLOW_IMAGE_STORE!],
    accel: 'tcg',
    shutdownTimeoutMs: 10_000,
  });
  stack = await startStack({ hosts: [{ name: 'q-1', driverInstance: driver }], syncMs: 1000 });
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await stack?.shutdown();
  for (const id of (await driver?.listInstances()) ?? []) await driver.destroy(id);
  await driver?.close();
  // Whatever a failed test left: no machine of this suite outlives it.
  for (const pid of qemuProcesses(stateRoot)) process.kill(pid, 'SIGKILL');
  fs.rmSync(stateRoot, { recursive: true, force: true });
});

const create = async (name: string, extra: Record<string, unknown> = {}) => {
  const r = await stack.api('POST', '/v2.1/servers', {
    body: { server: { name, imageRef: GUEST_IMAGE_ID, flavorRef: '1', ...extra } },
  });
  expect(r.status).toBe(202);
  return r.body.server.id as string;
};

/** Waits for ACTIVE; a server that ends in ERROR fails at once with what its build attempts said. */
async function active(id: string) {
  return eventually(
    async () => {
      const r = await stack.api('GET', `/v2.1/servers/${id}`, { token: ADMIN });
      const server = r.body.server;
      if (server?.status === 'ERROR') {
        const actions = await stack.api('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: ADMIN });
        const details = await Promise.all(
          actions.body.instanceActions.map((a: { request_id: string }) =>
            stack.api('GET', `/v2.1/servers/${id}/os-instance-actions/${a.request_id}`, { token: ADMIN }),
          ),
        );
        const events = details.flatMap((d) => d.body.instanceAction.events);
        return { error: `server ${id} ended in ERROR: ${JSON.stringify({ fault: server.fault, events })}` };
      }
      return server?.status === 'ACTIVE' ? { server } : undefined;
    },
    BOOT_MS,
    `server ${id} to be ACTIVE`,
  ).then((r) => {
    if ('error' in r) throw new Error(r.error);
    return r.server;
  });
}

const consoleOf = async (id: string) => {
  const r = await stack.api('POST', `/v2.1/servers/${id}/action`, { body: { 'os-getConsoleOutput': {} } });
  expect(r.status).toBe(200);
  return r.body.output as string;
};

const readyLines = (out: string) => out.split('\n').filter((l) => l.includes('novaflow-guest: ready'));

const diagnostics = async (id: string) => {
  const r = await stack.api('GET', `/v2.1/servers/${id}/diagnostics`, {
    token: ADMIN,
    headers: { 'OpenStack-API-Version': 'compute 2.48' },
  });
  expect(r.status).toBe(200);
  return r.body;
};

const act = async (id: string, body: unknown) =>
  expect((await stack.api('POST', `/v2.1/servers/${id}/action`, { body })).status).toBe(202);

/** Reboots and waits for the guest's `boots`-th ready line on the console, then for ACTIVE. */
async function reboot(id: string, type: 'SOFT' | 'HARD', boots: number) {
  await act(id, { reboot: { type } });
  await eventually(
    async () => (readyLines(await consoleOf(id)).length === boots ? true : undefined),
    BOOT_MS,
    `boot ${boots}`,
  );
  await active(id);
}

async function gone(id: string) {
  await eventually(
    async () => ((await stack.api('GET', `/v2.1/servers/${id}`)).status === 404 ? true : undefined),
    60_000,
    `server ${id} to be deleted`,
  );
}

describe('when a user boots a server with the qemu driver', () => {
  it('then it is a real VM: its console shows the guest ready with its address and key, reboots reset its uptime, stop/start work, and delete leaves nothing', async () => {
    const key = await stack.api('POST', '/v2.1/os-keypairs', { body: { keypair: { name: 'vm-key' } } });
    expect(key.status).toBe(200);
    const id = await create('vm-real', { key_name: 'vm-key' });
    const server = await active(id);
    const [address] = Object.values(server.addresses as Record<string, { addr: string }[]>).flat();
    expect(address?.addr).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(qemuProcesses(id)).toHaveLength(1);

    const boot = await consoleOf(id);
    expect(boot).toMatch(/Linux version \d/);
    expect(boot).toContain(`novaflow-guest: booting vm-real (${id})`);
    expect(boot).toContain(`eth0 ${address.addr}/`);
    expect(boot).toContain(`ssh key vm-key ${key.body.keypair.fingerprint}`);
    expect(readyLines(boot)).toEqual([expect.stringContaining('ready: vm-real up')]);

    const first = await diagnostics(id);
    expect(first).toMatchObject({
      state: 'running',
      driver: 'qemu',
      hypervisor: 'qemu',
      num_cpus: 1,
      num_nics: 1,
    });
    expect(first.nic_details[0].mac_address).toBe(
      server.addresses[Object.keys(server.addresses)[0]][0]['OS-EXT-IPS-MAC:mac_addr'],
    );
    await new Promise((r) => setTimeout(r, 3000));
    const before = (await diagnostics(id)).uptime;
    expect(before).toBeGreaterThanOrEqual(3);

    // SOFT: the guest hears the power button, powers off, and boots again.
    await reboot(id, 'SOFT', 2);
    const soft = await consoleOf(id);
    expect(soft).toContain('novaflow-guest: power button pressed: powering off');
    expect((await diagnostics(id)).uptime).toBeLessThan(before);

    // HARD: the machine's reset line; the same QEMU process boots the guest again.
    const pid = qemuProcesses(id)[0];
    await reboot(id, 'HARD', 3);
    expect(qemuProcesses(id)).toEqual([pid]);

    await act(id, { 'os-stop': null });
    const stopped = await waitForStatus(stack, id, ['SHUTOFF'], undefined, BOOT_MS);
    expect(stopped['OS-EXT-STS:power_state']).toBe(4);
    expect(qemuProcesses(id)).toEqual([]);
    expect((await diagnostics(id)).state).toBe('shutdown');
    await act(id, { 'os-start': null });
    await active(id);
    expect(readyLines(await consoleOf(id))).toHaveLength(4);

    expect((await stack.api('DELETE', `/v2.1/servers/${id}`)).status).toBe(204);
    await gone(id);
    expect(qemuProcesses(id)).toEqual([]);
    expect(fs.existsSync(path.join(stateDir, id))).toBe(false);
  });
});

describe('when the QEMU process of an ACTIVE server is killed (kill -9)', () => {
  it("then the server becomes SHUTOFF with power state SHUTDOWN and a 'stop' action no user asked for, and starts again", async () => {
    const id = await create('vm-killed');
    await active(id);
    const [pid] = qemuProcesses(id);
    process.kill(pid, 'SIGKILL');
    const after = await waitForStatus(stack, id, ['SHUTOFF'], undefined, 30_000);
    expect(after['OS-EXT-STS:power_state']).toBe(4);
    const actions = await stack.api('GET', `/v2.1/servers/${id}/os-instance-actions`);
    const stop = actions.body.instanceActions.find((a: { action: string }) => a.action === 'stop');
    expect(stop).toMatchObject({ action: 'stop', user_id: null });
    const detail = await stack.api('GET', `/v2.1/servers/${id}/os-instance-actions/${stop.request_id}`, {
      token: ADMIN,
      headers: { 'OpenStack-API-Version': 'compute 2.51' },
    });
    expect(detail.body.instanceAction.events).toEqual([
      expect.objectContaining({ event: 'compute_sync_power_state', result: 'Success', host: 'q-1' }),
    ]);

    await act(id, { 'os-start': null });
    await active(id);
    expect(qemuProcesses(id)).toHaveLength(1);
    expect((await stack.api('DELETE', `/v2.1/servers/${id}`)).status).toBe(204);
    await gone(id);
    expect(qemuProcesses(id)).toEqual([]);
  });
});

describe('when an image cannot boot (its kernel finds no init)', () => {
  it("then the server ends in ERROR with the console's last lines in its fault, and no machine or file is left", async () => {
    const image = await stack.api('POST', '/image/v2/images', {
      token: ADMIN,
      body: {
        name: 'no-init',
        disk_format: 'ami',
        container_format: 'ami',
        visibility: 'public',
        kernel_id: GUEST_KERNEL_ID,
        ramdisk_id: GUEST_RAMDISK_ID,
        os_command_line: 'console=ttyS0 panic=-1 rdinit=/no/such/init',
        novaflow_ready_line: 'novaflow-guest: ready',
      },
    });
    expect(image.status).toBe(201);
    // Its own bits do not matter (it boots its kernel and ramdisk); the upload makes it active.
    const upload = await stack.api('PUT', `/image/v2/images/${image.body.id}/file`, {
      token: ADMIN,
      raw: 'ami',
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    expect(upload.status).toBe(204);
    const made = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'vm-bad', imageRef: image.body.id, flavorRef: '1' } },
    });
    expect(made).toMatchObject({ status: 202 });
    const id = made.body.server.id as string;
    const failed = await waitForStatus(stack, id, ['ERROR'], undefined, BOOT_MS);
    expect(failed.fault.message).toContain('the guest kernel panicked');
    expect(failed.fault.message).toMatch(/Kernel panic/);
    expect(qemuProcesses(id)).toEqual([]);
    expect(fs.existsSync(path.join(stateDir, id))).toBe(false);
    expect((await stack.api('DELETE', `/v2.1/servers/${id}`)).status).toBe(204);
    await gone(id);
  });
});

/** A compute node in a process of its own, with the qemu driver on `state`. */
function startNode(host: string, state: string): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'workers/compute-main.ts'), '--host', host],
    {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: process.env.NOVAFLOW_TEST_TEMPORAL_ADDRESS,
        TEMPORAL_NAMESPACE: stack.namespace,
        NOVAFLOW_DRIVER: 'qemu',
        NOVAFLOW_QEMU_STATE: state,
        NOVAFLOW_QEMU_IMAGES: QEMU_IMAGES,
        NOVAFLOW_QEMU_ACCEL: 'tcg',
        NOVAFLOW_HEARTBEAT_MS: '500',
        NOVAFLOW_SYNC_MS: '1000',
      },
      stdio: 'ignore',
    },
  );
  children.push(child);
  return child;
}

const hostUp = (host: string) =>
  eventually(
    async () => {
      const r = await stack.api('GET', '/v2.1/os-services', { token: ADMIN });
      return r.body.services?.some((s: any) => s.host === host && s.state === 'up') ? true : undefined;
    },
    60_000,
    `${host} to register`,
  );

describe('when the compute node process is killed (kill -9) while its VM boots', () => {
  it('then the node, started again, adopts the VM (one QEMU, no duplicate) and the server ends ACTIVE; delete leaves nothing', async () => {
    const state = path.join(stateRoot, 'q-doomed');
    let node = startNode('q-doomed', state);
    await hostUp('q-doomed');
    // q-1 is taken out of the running, so the only host that can take the server is q-doomed.
    await stack.api('PUT', '/v2.1/os-services/disable', {
      token: ADMIN,
      body: { host: 'q-1', binary: 'nova-compute' },
    });
    try {
      const id = await create('vm-orphan');
      // Its QEMU once daemonised: the pid its pid file names (the parent that forks it lives a moment).
      const pidFile = path.join(state, id, 'qemu.pid');
      await eventually(
        async () => {
          const pids = qemuProcesses(id);
          const named = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8')) : 0;
          return pids.length === 1 && pids[0] === named ? true : undefined;
        },
        60_000,
        'its QEMU',
      );
      node.kill('SIGKILL');
      const vm = qemuProcesses(id);
      // The VM is the hypervisor's, not the node's: it runs on without it.
      await new Promise((r) => setTimeout(r, 1000));
      expect(qemuProcesses(id)).toEqual(vm);
      node = startNode('q-doomed', state);
      const server = await active(id);
      expect(server['OS-EXT-SRV-ATTR:host']).toBe('q-doomed');
      expect(qemuProcesses(id)).toEqual(vm);
      expect((await stack.api('DELETE', `/v2.1/servers/${id}`)).status).toBe(204);
      await gone(id);
      expect(qemuProcesses(id)).toEqual([]);
    } finally {
      await stack.api('PUT', '/v2.1/os-services/enable', {
        token: ADMIN,
        body: { host: 'q-1', binary: 'nova-compute' },
      });
      node.kill('SIGTERM');
    }
  });

  it('then a VM its host no longer claims (its server went elsewhere or was deleted meanwhile) is destroyed when the node starts', async () => {
    const state = path.join(stateRoot, 'q-stale');
    const orphan = '0badc0de-0000-4000-8000-000000000001';
    const local = new QemuDriver({ stateDir: state, imageDir: QEMU_IMAGES, accel: 'tcg' });
    await local.spawn(
      {
        id: orphan,
        name: 'left-behind',
        flavor: { vcpus: 1, ram: 256 } as never,
        imageRef: GUEST_IMAGE_ID,
        metadata: {},
        guest: { images: { properties: { kernel_id: GUEST_KERNEL_ID, ramdisk_id: GUEST_RAMDISK_ID } } },
      },
      () => undefined,
    );
    await local.close();
    expect(qemuProcesses(orphan)).toHaveLength(1);
    const node = startNode('q-stale', state);
    try {
      await eventually(
        async () => (qemuProcesses(orphan).length === 0 ? true : undefined),
        60_000,
        'the orphan to go',
      );
      await eventually(
        async () => (fs.existsSync(path.join(state, orphan)) ? undefined : true),
        10_000,
        'its files to go',
      );
    } finally {
      node.kill('SIGTERM');
    }
  });
});

describe('when a user uploads a disk image and boots it (it names no ready line)', () => {
  it('then the upload is kept in the image store, QEMU boots the disk and the server is ACTIVE once the machine runs', async () => {
    const image = await stack.api('POST', '/image/v2/images', {
      body: { name: 'blank-disk', disk_format: 'raw', container_format: 'bare' },
    });
    expect(image.status).toBe(201);
    const data = Buffer.alloc(1024 * 1024);
    const upload = await fetch(`${stack.url}/image/v2/images/${image.body.id}/file`, {
      method: 'PUT',
      headers: { 'X-Auth-Token': 'alice:demo', 'Content-Type': 'application/octet-stream' },
      body: data,
    });
    expect(upload.status).toBe(204);
    const shown = await stack.api('GET', `/image/v2/images/${image.body.id}`);
    expect(shown.body).toMatchObject({ status: 'active', size: data.length, os_hash_algo: 'sha512' });
    const download = await fetch(`${stack.url}/image/v2/images/${image.body.id}/file`, {
      headers: { 'X-Auth-Token': 'alice:demo' },
    });
    expect(Buffer.from(await download.arrayBuffer()).equals(data)).toBe(true);

    const id = (
      await stack.api('POST', '/v2.1/servers', {
        body: { server: { name: 'vm-disk', imageRef: image.body.id, flavorRef: '1' } },
      })
    ).body.server.id as string;
    await active(id);
    const [pid] = qemuProcesses(id);
    expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain(
      `file=${process.env.NOVAFLOW_IMAGE_STORE}/${image.body.id},format=raw`,
    );
    expect((await stack.api('DELETE', `/v2.1/servers/${id}`)).status).toBe(204);
    await gone(id);
    expect(qemuProcesses(id)).toEqual([]);
  });
});

describe('when an image names host files or a format with backing files', () => {
  it('then the create is a 400 when its kernel or ramdisk is no image the caller sees, and the driver boots neither paths nor qcow2', async () => {
    const image = await stack.api('POST', '/image/v2/images', {
      body: {
        name: 'sneaky',
        disk_format: 'ami',
        container_format: 'ami',
        kernel_id: GUEST_KERNEL_ID,
        ramdisk_id: '../../../../etc/shadow',
      },
    });
    expect(image.status).toBe(201);
    await fetch(`${stack.url}/image/v2/images/${image.body.id}/file`, {
      method: 'PUT',
      headers: { 'X-Auth-Token': 'alice:demo', 'Content-Type': 'application/octet-stream' },
      body: 'x',
    });
    const refused = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'vm-sneaky', imageRef: image.body.id, flavorRef: '1' } },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.badRequest.message).toBe('Image ../../../../etc/shadow could not be found.');

    // Below the API, the driver refuses them too, and keeps nothing.
    const spec = (id: string, images: Record<string, unknown>) => ({
      id,
      name: id,
      flavor: { vcpus: 1, ram: 256 } as never,
      imageRef: GUEST_IMAGE_ID,
      metadata: {},
      guest: { images },
    });
    const traversal = '0badc0de-0000-4000-8000-000000000002';
    await expect(
      driver.spawn(
        spec(traversal, {
          properties: { kernel_id: '../../../../boot/vmlinuz', ramdisk_id: GUEST_RAMDISK_ID },
        }),
        () => undefined,
      ),
    ).rejects.toThrow('../../../../boot/vmlinuz is not an image id');
    const qcow2 = '0badc0de-0000-4000-8000-000000000003';
    await expect(
      driver.spawn(
        spec(qcow2, { id: GUEST_KERNEL_ID, disk_format: 'qcow2', properties: {} }),
        () => undefined,
      ),
    ).rejects.toThrow(/not bootable here/);
    for (const id of [traversal, qcow2]) {
      expect(await driver.getInfo(id)).toBeNull();
      expect(fs.existsSync(path.join(stateDir, id))).toBe(false);
    }
  });
});

describe('when a node died before it saved what it had started (its QEMU runs, its state file does not exist)', () => {
  it('then a spawn of that instance on the next start ends the stray QEMU first: one machine, never two', async () => {
    const state = path.join(stateRoot, 'q-lost');
    const id = '0badc0de-0000-4000-8000-000000000004';
    const spec = {
      id,
      name: 'lost',
      flavor: { vcpus: 1, ram: 256 } as never,
      imageRef: GUEST_IMAGE_ID,
      metadata: {},
      guest: {
        images: {
          properties: { ...GUEST_BOOT_PROPERTIES },
        },
      },
    };
    const first = new QemuDriver({ stateDir: state, imageDir: QEMU_IMAGES, accel: 'tcg' });
    await first.spawn(spec, () => undefined);
    await first.close();
    const [stray] = qemuProcesses(id);
    fs.rmSync(path.join(state, id, 'state.json'));

    const next = new QemuDriver({ stateDir: state, imageDir: QEMU_IMAGES, accel: 'tcg' });
    await next.start();
    expect(await next.getInfo(id)).toBeNull();
    await next.spawn(spec, () => undefined);
    const now = qemuProcesses(id);
    expect(now).toHaveLength(1);
    expect(now).not.toContain(stray);
    await next.destroy(id);
    expect(qemuProcesses(id)).toEqual([]);
    await next.close();
  });
});
