import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InstanceSpec } from '../drivers/driver';
import { InstanceNotFound, RescheduleError } from '../drivers/driver';
import { formatUptime } from '../drivers/host-info';
import { createDriver } from '../drivers/index';
import { ProcessDriver } from '../drivers/process';
import { LineRing } from '../drivers/ring-buffer';
import { eventually, startStack, waitForStatus, type Stack } from './support/stack';

const ADMIN = 'admin:admin';
const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const FLAVOR = { id: '1', name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1 } as unknown as InstanceSpec['flavor'];

function spec(id: string, name = id): InstanceSpec {
  return { id, name, flavor: FLAVOR, imageRef: IMAGE, metadata: {} };
}

/** Whether a process with this pid exists (signal 0 only checks). */
function pidAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function pidOf(driver: ProcessDriver, id: string): Promise<number> {
  const info = await driver.getInfo(id);
  expect(info?.running).toBe(true);
  return info!.pid!;
}

describe('the process driver alone, without Temporal', () => {
  const driver = new ProcessDriver({ stopGraceMs: 2000 });
  const pids: number[] = [];
  afterAll(async () => {
    await driver.close();
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
  });

  it('when an instance is spawned twice, then one live process serves it and progress reached 100', async () => {
    const progress: number[] = [];
    await driver.spawn(spec('a'), (p) => progress.push(p));
    const pid = await pidOf(driver, 'a');
    await driver.spawn(spec('a'), (p) => progress.push(p));
    expect(await pidOf(driver, 'a')).toBe(pid);
    expect(pidAlive(pid)).toBe(true);
    expect(progress).toEqual([30, 100]);
    pids.push(pid);
  });

  it('when the console is read, then it holds the boot line with name and image', async () => {
    const out = await driver.consoleOutput('a');
    expect(out).toContain(`novaflow guest a booting from image ${IMAGE}`);
    expect(out).toContain('a login:');
    const last = await driver.consoleOutput('a', 1);
    expect(last.split('\n')).toHaveLength(1);
  });

  it("when the build steps prepared a guest's config, then the guest reads it as its config drive", async () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@there';
    const guest = {
      images: {
        name: 'cirros-0.6.2-x86_64-disk',
        properties: { os_distro: 'cirros', architecture: 'x86_64' },
      },
      keypairs: { name: 'k1', public_key: key, fingerprint: 'aa:bb' },
      networks: { interfaces: [{ address: '10.0.0.9', cidr: '10.0.0.0/16', mac: 'fa:16:3e:00:00:01' }] },
    };
    await driver.spawn({ ...spec('cfg'), guest }, () => undefined);
    pids.push(await pidOf(driver, 'cfg'));
    const out = await driver.consoleOutput('cfg');
    expect(out).toContain(`config-drive keypairs: ${JSON.stringify(guest.keypairs)}`);
    // It boots what the image describes, with its address and its key.
    expect(out).toContain('Welcome to cirros-0.6.2-x86_64-disk (cirros x86_64)');
    expect(out).toContain('eth: 10.0.0.9/16 fa:16:3e:00:00:01');
    expect(out).toContain('ssh: authorized key k1 aa:bb');
  });

  it('when an instance is rebooted soft or hard, then a new process replaces the old one', async () => {
    const before = await pidOf(driver, 'a');
    await driver.reboot('a', false);
    const soft = await pidOf(driver, 'a');
    expect(soft).not.toBe(before);
    expect(pidAlive(before)).toBe(false);
    expect(await driver.consoleOutput('a')).toContain('a shutting down (SIGTERM)');
    await driver.reboot('a', true);
    const hard = await pidOf(driver, 'a');
    expect(hard).not.toBe(soft);
    expect(pidAlive(soft)).toBe(false);
    expect(pidAlive(hard)).toBe(true);
    pids.push(soft, hard);
  });

  it('when an instance is powered off and on, then its process stops and a new one starts', async () => {
    const pid = await pidOf(driver, 'a');
    await driver.powerOff('a');
    expect(await driver.getInfo('a')).toEqual({ id: 'a', running: false });
    expect(pidAlive(pid)).toBe(false);
    await driver.powerOff('a');
    await driver.powerOn('a');
    const again = await pidOf(driver, 'a');
    expect(pidAlive(again)).toBe(true);
    pids.push(again);
  });

  it('when an instance is destroyed, then its process is gone and destroying again succeeds', async () => {
    const pid = await pidOf(driver, 'a');
    await driver.destroy('a');
    expect(pidAlive(pid)).toBe(false);
    expect(await driver.getInfo('a')).toBeNull();
    await expect(driver.destroy('a')).resolves.toBeUndefined();
    await expect(driver.powerOn('a')).rejects.toBeInstanceOf(InstanceNotFound);
  });

  it('when the guest program cannot start, then spawn throws RescheduleError and keeps nothing', async () => {
    const broken = new ProcessDriver({ execPath: '/nonexistent/novaflow-guest' });
    await expect(broken.spawn(spec('b'), () => undefined)).rejects.toBeInstanceOf(RescheduleError);
    expect(await broken.getInfo('b')).toBeNull();
    const dies = new ProcessDriver({ guestScript: '-e', bootTimeoutMs: 2000 });
    await expect(dies.spawn(spec('c'), () => undefined)).rejects.toThrow(/failed to start/);
    expect(await dies.getInfo('c')).toBeNull();
  });

  it('when the driver is closed, then every guest process is gone and new spawns are refused', async () => {
    const other = new ProcessDriver({ stopGraceMs: 2000 });
    await Promise.all(['x', 'y', 'z'].map((id) => other.spawn(spec(id), () => undefined)));
    const live = await Promise.all(['x', 'y', 'z'].map((id) => pidOf(other, id)));
    expect(live.every(pidAlive)).toBe(true);
    await other.close();
    expect(live.some(pidAlive)).toBe(false);
    await expect(other.spawn(spec('w'), () => undefined)).rejects.toBeInstanceOf(RescheduleError);
  });

  it('when a guest ignores SIGTERM, then stopping it escalates to SIGKILL after the grace period', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nf-guest-'));
    const stubborn = path.join(dir, 'stubborn.js');
    fs.writeFileSync(
      stubborn,
      "process.on('SIGTERM', () => console.log('ignored')); console.log('s login:'); setInterval(() => {}, 1000);",
    );
    const hard = new ProcessDriver({ guestScript: stubborn, stopGraceMs: 300 });
    await hard.spawn(spec('s'), () => undefined);
    const pid = (await hard.getInfo('s'))!.pid!;
    const started = Date.now();
    await hard.powerOff('s');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(pidAlive(pid)).toBe(false);
    expect(await hard.consoleOutput('s')).toMatch(/ignored[\s\S]*exited \(SIGKILL\)/);
    await hard.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('when the compute node dies abruptly, then its guests die with it instead of staying as orphans', async () => {
    // A node killed with SIGKILL runs no cleanup: the guest must notice on its own.
    const script = `
      const { ProcessDriver } = require(${JSON.stringify(path.join(__dirname, '../drivers/process.ts'))});
      const d = new ProcessDriver();
      d.spawn({ id: 'o', name: 'o', flavor: {}, imageRef: 'i', metadata: {} }, () => undefined)
        .then(() => d.getInfo('o'))
        .then((info) => console.log('GUEST ' + info.pid));`;
    const node = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const guestPid = await new Promise<number>((resolve, reject) => {
      let out = '';
      node.stdout.on('data', (d) => {
        out += String(d);
        const m = /GUEST (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      node.once('exit', () => reject(new Error(`node exited before its guest booted: ${out}`)));
    });
    expect(pidAlive(guestPid)).toBe(true);
    node.kill('SIGKILL');
    await eventually(
      async () => (pidAlive(guestPid) ? undefined : true),
      10_000,
      'the orphaned guest to exit',
    );
  });

  it("when inventory is asked, then it reports this machine's CPUs and memory as a process hypervisor", () => {
    const inv = driver.inventory();
    expect(inv).toMatchObject({ vcpus: os.cpus().length, hypervisorType: 'process' });
    expect(inv.ram).toBe(Math.floor(os.totalmem() / 1024 / 1024));
    expect(inv.disk).toBeGreaterThan(0);
    expect(new ProcessDriver({ inventory: { disk: 40 } }).inventory().disk).toBe(40);
    expect(createDriver('process').name).toBe('process');
  });
});

describe('when an uptime line or a console ring is formatted', () => {
  it('then the line reads like the uptime command', () => {
    const at = new Date(2024, 0, 1, 9, 5, 7);
    const load = [0.08, 0.031, 1];
    expect(formatUptime(at, 3 * 86400 + 4 * 3600 + 5 * 60 + 9, load)).toBe(
      ' 09:05:07 up 3 days,  4:05,  load average: 0.08, 0.03, 1.00',
    );
    expect(formatUptime(at, 86400 + 42 * 60, load)).toBe(
      ' 09:05:07 up 1 day, 42 min,  load average: 0.08, 0.03, 1.00',
    );
  });

  it('then the ring keeps only the newest lines, oldest first', () => {
    const ring = new LineRing(3);
    for (const l of ['1', '2', '3', '4', '5']) ring.push(l);
    expect(ring.tail()).toEqual(['3', '4', '5']);
    expect(ring.tail(2)).toEqual(['4', '5']);
  });
});

describe('when servers run on a process-driver host over HTTP', () => {
  const driver = new ProcessDriver({ stopGraceMs: 2000 });
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ hosts: [{ name: 'proc1', driverInstance: driver }] });
  });
  afterAll(async () => {
    await stack?.shutdown();
    await driver.close();
  });

  const act = (id: string, body: unknown) => stack.api('POST', `/v2.1/servers/${id}/action`, { body });

  it('then create, hard reboot, stop, start and delete drive a real process', async () => {
    const created = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'real-vm', imageRef: IMAGE, flavorRef: '1' } },
    });
    expect(created.status).toBe(202);
    const id = created.body.server.id;
    await waitForStatus(stack, id, ['ACTIVE']);
    const first = await pidOf(driver, id);
    expect(pidAlive(first)).toBe(true);
    expect(await driver.consoleOutput(id)).toContain('novaflow guest real-vm booting');

    expect((await act(id, { reboot: { type: 'HARD' } })).status).toBe(202);
    const rebooted = await eventually(async () => {
      const info = await driver.getInfo(id);
      return info?.running && info.pid !== first ? info.pid : undefined;
    });
    await waitForStatus(stack, id, ['ACTIVE']);
    expect(pidAlive(first)).toBe(false);
    expect(pidAlive(rebooted)).toBe(true);

    expect((await act(id, { 'os-stop': null })).status).toBe(202);
    await waitForStatus(stack, id, ['SHUTOFF']);
    expect(await driver.getInfo(id)).toEqual({ id, running: false });
    expect(pidAlive(rebooted)).toBe(false);

    expect((await act(id, { 'os-start': null })).status).toBe(202);
    await waitForStatus(stack, id, ['ACTIVE']);
    const started = await pidOf(driver, id);
    expect(pidAlive(started)).toBe(true);

    expect((await stack.api('DELETE', `/v2.1/servers/${id}`)).status).toBe(204);
    await eventually(async () => ((await driver.getInfo(id)) === null ? true : undefined));
    expect(pidAlive(started)).toBe(false);
  });

  it("then the hypervisor's uptime comes from this machine through the process driver", async () => {
    const list = await stack.api('GET', '/v2.1/os-hypervisors', { token: ADMIN });
    const hv = list.body.hypervisors.find((h: any) => h.hypervisor_hostname === 'proc1');
    const r = await stack.api('GET', `/v2.1/os-hypervisors/${hv.id}/uptime`, { token: ADMIN });
    expect(r.status).toBe(200);
    expect(r.body.hypervisor.uptime).toMatch(
      /^ \d\d:\d\d:\d\d up .+, {2}load average: \d+\.\d\d, \d+\.\d\d, \d+\.\d\d$/,
    );
    const detail = await stack.api('GET', `/v2.1/os-hypervisors/${hv.id}`, { token: ADMIN });
    expect(detail.body.hypervisor).toMatchObject({ hypervisor_type: 'process', vcpus: os.cpus().length });
  });
});
