import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GUEST_BOOT_PROPERTIES } from '../common/guest-image';
import type { InstanceEvent, InstanceSpec, VirtDriver } from '../drivers/driver';
import { InstanceNotFound, RescheduleError } from '../drivers/driver';
import { FakeDriver } from '../drivers/fake';
import { ProcessDriver } from '../drivers/process';
import { QemuDriver } from '../drivers/qemu/driver';
import { QEMU_IMAGES } from './support/qemu';

/**
 * The virt driver contract (drivers/driver.ts), run against every driver: what the compute node and
 * the server workflow rely on, whatever the hypervisor. A new driver joins the table below; what only
 * one driver does (real pids, SIGKILL escalation) is tested in that driver's own file.
 */
interface DriverCase {
  name: string;
  make(): VirtDriver;
  /** A driver of this kind whose every spawn fails here, as a broken host would. */
  broken(): VirtDriver;
  /**
   * What `close` does to its instances: `stops` (they are the node's processes and die with it),
   * `keeps` (they are the hypervisor's: a driver started again on the same host adopts them), or
   * `none` (nothing real runs).
   */
  onClose: 'stops' | 'keeps' | 'none';
}

/** Each qemu driver of the suite keeps its machines in a directory of its own. */
const qemuState = fs.mkdtempSync(path.join(os.tmpdir(), 'novaflow-contract-qemu-'));
const qemu = (name: string) =>
  new QemuDriver({ stateDir: path.join(qemuState, name), imageDir: QEMU_IMAGES, accel: 'tcg' });

const DRIVERS: DriverCase[] = [
  {
    name: 'fake',
    make: () => new FakeDriver(),
    broken: () => new FakeDriver({ failSpawn: 'reschedule' }),
    onClose: 'none',
  },
  {
    name: 'process',
    make: () => new ProcessDriver({ stopGraceMs: 2000 }),
    broken: () => new ProcessDriver({ execPath: '/nonexistent/novaflow-guest' }),
    onClose: 'stops',
  },
  {
    name: 'qemu',
    make: () => qemu('host-a'),
    // A host whose image cache lacks the image cannot boot it; another host may have it.
    broken: () => new QemuDriver({ stateDir: path.join(qemuState, 'broken'), imageDir: qemuState }),
    onClose: 'keeps',
  },
];

afterAll(() => fs.rmSync(qemuState, { recursive: true, force: true }));

const FLAVOR = { id: '1', name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1 } as InstanceSpec['flavor'];
const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const spec = (id: string): InstanceSpec => ({
  id,
  name: `vm-${id}`,
  flavor: FLAVOR,
  imageRef: IMAGE,
  metadata: {},
  // What the images extension captures: a driver that boots images for real boots novaflow's guest.
  guest: {
    images: {
      name: 'novaflow-guest',
      properties: { ...GUEST_BOOT_PROPERTIES },
    },
  },
});

describe.each(DRIVERS)('the $name driver keeps the virt driver contract', ({ make, broken, onClose }) => {
  let driver: VirtDriver;
  beforeAll(async () => {
    driver = make();
    await driver.start?.();
  });
  afterAll(async () => {
    await driver.close?.();
  });

  it('when asked its inventory, then it offers positive resources and names its hypervisor', () => {
    const inv = driver.inventory();
    expect(inv.vcpus).toBeGreaterThan(0);
    expect(inv.ram).toBeGreaterThan(0);
    expect(inv.disk).toBeGreaterThan(0);
    expect(inv.hypervisorType).toMatch(/\S/);
    expect(driver.name).toMatch(/\S/);
  });

  it('when an instance is spawned twice, then it runs once, and progress stays within 0..100 and never goes back', async () => {
    const progress: number[] = [];
    await driver.spawn(spec('a'), (p) => progress.push(p));
    await driver.spawn(spec('a'), (p) => progress.push(p));
    expect(await driver.getInfo('a')).toMatchObject({ id: 'a', running: true });
    for (const p of progress) expect(p).toBeGreaterThanOrEqual(0);
    for (const p of progress) expect(p).toBeLessThanOrEqual(100);
    // The second spawn found it running and reported nothing.
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
  });

  it('when an instance is powered off (twice) and on, then getInfo follows, and reboots leave it running', async () => {
    await driver.powerOff('a');
    expect(await driver.getInfo('a')).toMatchObject({ id: 'a', running: false });
    await driver.powerOff('a');
    await driver.powerOn('a');
    expect(await driver.getInfo('a')).toMatchObject({ running: true });
    await driver.reboot('a', false);
    expect(await driver.getInfo('a')).toMatchObject({ running: true });
    await driver.reboot('a', true);
    expect(await driver.getInfo('a')).toMatchObject({ running: true });
  });

  it('when the driver offers its optional capabilities, then they answer (console by instance name, line limit kept)', async () => {
    if (driver.capabilities.has('uptime')) expect(await driver.uptime!()).toMatch(/up /);
    if (driver.capabilities.has('console-output')) {
      expect(await driver.consoleOutput!('a')).toContain('vm-a');
      expect((await driver.consoleOutput!('a', 1)).split('\n')).toHaveLength(1);
      await expect(driver.consoleOutput!('missing')).rejects.toBeInstanceOf(InstanceNotFound);
    }
    expect([...driver.capabilities].every((c) => ['uptime', 'console-output'].includes(c))).toBe(true);
  });

  it('when an instance is destroyed (twice), then it is gone and actions on it say InstanceNotFound', async () => {
    await driver.destroy('a');
    await driver.destroy('a');
    expect(await driver.getInfo('a')).toBeNull();
    for (const act of [
      () => driver.reboot('a', false),
      () => driver.powerOff('a'),
      () => driver.powerOn('a'),
    ])
      await expect(act()).rejects.toBeInstanceOf(InstanceNotFound);
  });

  it('when a spawn is aborted (the server was deleted while building), then a destroy leaves nothing', async () => {
    const abort = new AbortController();
    abort.abort();
    await driver.spawn(spec('b'), () => undefined, abort.signal).catch(() => undefined);
    await driver.destroy('b');
    expect(await driver.getInfo('b')).toBeNull();
  });

  it('when the host cannot spawn, then spawn throws RescheduleError and keeps no partial instance', async () => {
    const bad = broken();
    await expect(bad.spawn(spec('c'), () => undefined)).rejects.toBeInstanceOf(RescheduleError);
    expect(await bad.getInfo('c')).toBeNull();
    await bad.close?.();
  });

  it(`when it is closed, then ${onClose === 'keeps' ? 'its instances run on and a driver started again adopts them' : 'its instances are gone'}, and new spawns are refused`, async () => {
    const other = make();
    await other.start?.();
    await other.spawn(spec('d'), () => undefined);
    const before = await other.getInfo('d');
    expect(before).toMatchObject({ id: 'd', running: true });
    await other.close?.();
    if (onClose === 'stops') expect(await other.getInfo('d')).toBeNull();
    if (onClose !== 'none')
      await expect(other.spawn(spec('e'), () => undefined)).rejects.toBeInstanceOf(RescheduleError);
    if (onClose === 'keeps') {
      const again = make();
      await again.start?.();
      expect(await again.listInstances!()).toContain('d');
      expect(await again.getInfo('d')).toMatchObject({ running: true, pid: before!.pid });
      await again.destroy('d');
      expect(await again.getInfo('d')).toBeNull();
      await again.close!();
    }
  });

  (onClose === 'none' ? it.skip : it)(
    'when an instance dies without being asked (kill -9), then watchers hear it once and getInfo says it is not running',
    async () => {
      const events: InstanceEvent[] = [];
      driver.watch!((e) => events.push(e));
      await driver.spawn(spec('f'), () => undefined);
      const { pid } = (await driver.getInfo('f'))!;
      process.kill(pid!, 'SIGKILL');
      for (let i = 0; i < 100 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(events).toEqual([expect.objectContaining({ id: 'f', running: false })]);
      expect(await driver.getInfo('f')).toMatchObject({ id: 'f', running: false });
      // Asked to stop it, the driver says nothing more; started again, it runs.
      await driver.powerOff('f');
      await driver.powerOn('f');
      expect(await driver.getInfo('f')).toMatchObject({ running: true });
      await driver.destroy('f');
      expect(events).toHaveLength(1);
    },
  );
});
