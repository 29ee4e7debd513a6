import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type {
  DriverCapability,
  DriverInventory,
  InstanceEvent,
  InstanceInfo,
  InstanceSpec,
  VirtDriver,
} from '../driver';
import { BuildAbortError, InstanceNotFound, RescheduleError } from '../driver';
import { hostInventory, hostUptime } from '../host-info';
import { KeyedQueue } from '../keyed-queue';
import { Slots } from '../slots';
import { ConsoleLog, PANIC } from './console-log';
import { bootArgs, UUID } from './boot-args';
import { guestInterfaces } from './guest-config';
import { GUEST_BOOT_PROPERTIES, GUEST_KERNEL_ID, GUEST_RAMDISK_ID } from '../../common/guest-image';
import { isQemuNamed, qemuProcessesNamed } from './processes';
import { QmpClient } from './qmp';

const run = promisify(execFile);

export type Accel = 'kvm' | 'tcg';

export interface QemuDriverOptions {
  /** Where each instance keeps its files (`<id>/`: console log, QMP socket, pid file, initrd). */
  stateDir: string;
  /** The host's image cache: an image's data is the file named by its id (kernels, ramdisks, disks). */
  imageDir: string;
  /** More places to find image data, read-only, after the cache (the image store uploads go to). */
  imageStores?: string[];
  /** The emulator (default `qemu-system-x86_64` on the PATH). */
  binary?: string;
  /** `auto` (default): KVM when a guest really boots under it, TCG otherwise. */
  accel?: 'auto' | Accel;
  /** How long a guest may take to print its ready line (default 120 s: TCG on a busy machine is slow). */
  bootTimeoutMs?: number;
  /** How long a guest may take to power off after the ACPI power button before it is ended (default 15 s). */
  shutdownTimeoutMs?: number;
  /** TCG's translation cache in MB (default 32; QEMU's own default is far larger). */
  tbSizeMb?: number;
  /** Figures that replace the measured ones. */
  inventory?: Partial<DriverInventory>;
  /** How often a running instance's process is checked when no QMP event says it ended (default 2 s). */
  pollMs?: number;
  /**
   * Guests booting at once (default: the machine's CPUs, at least 2). A boot under TCG is CPU-bound:
   * twenty at once on two cores each take twenty times as long, so later ones wait their turn.
   */
  maxConcurrentBoots?: number;
}

/** One instance: its files and, while it runs, its QEMU process and QMP connection. */
interface Vm {
  id: string;
  spec: InstanceSpec;
  dir: string;
  console: ConsoleLog;
  pid: number | null;
  qmp: QmpClient | null;
  /** The console log's size when the guest last booted: its boot is what follows. */
  bootOffset: number;
  /** Wall-clock ms of the guest's last boot or reset. */
  bootedAt: number | null;
  /** A driver call is stopping it: its end is not news. */
  stopping: boolean;
  /** Why QEMU paused the machine on its own (an emulation error, a guest panic), if it did. */
  halted?: string;
}

/** What survives the node in `<id>/state.json`. */
interface VmState {
  spec: InstanceSpec;
  bootOffset: number;
  bootedAt: number | null;
}

/** Console lines that mark a guest's way to ready, with the build progress each means. */
const MILESTONES: [RegExp, number][] = [
  [/Linux version/, 40],
  [/Run \/init|Freeing unused kernel/, 60],
  [/novaflow-guest: booting/, 80],
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Every instance is a real virtual machine: a QEMU process (daemonised, so it outlives the compute
 * node, as libvirt's domains do) booting the image's kernel and initramfs, or its disk, with the
 * serial console in a log file and a QMP socket for control. A node that starts again finds its
 * machines by their pid files and QMP sockets.
 */
export class QemuDriver implements VirtDriver {
  readonly name = 'qemu';
  readonly capabilities: ReadonlySet<DriverCapability> = new Set<DriverCapability>([
    'uptime',
    'console-output',
  ]);
  private readonly vms = new Map<string, Vm>();
  private readonly queue = new KeyedQueue();
  private readonly boots: Slots;
  private readonly listeners: ((e: InstanceEvent) => void)[] = [];
  private readonly opts: Required<Omit<QemuDriverOptions, 'inventory' | 'imageStores'>> & QemuDriverOptions;
  private accel: Accel = 'tcg';
  private version = 0;
  private started: Promise<void> | undefined;
  private poller: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: QemuDriverOptions) {
    this.opts = {
      binary: 'qemu-system-x86_64',
      accel: 'auto',
      bootTimeoutMs: 120_000,
      shutdownTimeoutMs: 15_000,
      tbSizeMb: 32,
      pollMs: 2000,
      maxConcurrentBoots: Math.max(2, os.availableParallelism()),
      ...options,
    };
    this.boots = new Slots(this.opts.maxConcurrentBoots);
    fs.mkdirSync(this.opts.stateDir, { recursive: true });
  }

  /** The accelerator the driver boots with (known after `start`). */
  get acceleration(): Accel {
    return this.accel;
  }

  /** Finds QEMU, probes KVM, and adopts the machines a previous run of the node left running. */
  start(): Promise<void> {
    this.started ??= this.doStart();
    return this.started;
  }

  inventory(): DriverInventory {
    return hostInventory(this.opts.stateDir, {
      hypervisorType: this.accel === 'kvm' ? 'KVM' : 'QEMU',
      hypervisorVersion: this.version,
      ...this.opts.inventory,
    });
  }

  async spawn(spec: InstanceSpec, progress: (percent: number) => void, signal?: AbortSignal): Promise<void> {
    await this.start();
    await this.queue.run(spec.id, async () => {
      if (this.closed) throw new RescheduleError(`compute node is shutting down; ${spec.id} not spawned`);
      if (signal?.aborted) return;
      const known = this.vms.get(spec.id);
      if (known && this.alive(known)) {
        // A retried spawn (or one the node lost when it restarted) finds its machine booting or booted.
        await this.waitReady(known, () => undefined, signal);
        return;
      }
      const vm = known ?? this.track(spec);
      vm.spec = spec;
      try {
        fs.mkdirSync(vm.dir, { recursive: true });
        vm.console.reset();
        progress(10);
        await this.boots.run(async () => {
          if (signal?.aborted) return;
          await this.launch(vm);
          progress(20);
          await this.waitReady(vm, progress, signal);
        });
      } catch (err) {
        // A machine that never booted is no instance: nothing of it stays for a later host to trip on.
        await this.remove(vm);
        if (err instanceof BuildAbortError || err instanceof RescheduleError) throw err;
        throw new RescheduleError(`QEMU could not boot ${spec.id}: ${(err as Error).message}`);
      }
      progress(100);
    });
  }

  async destroy(id: string): Promise<void> {
    await this.start();
    await this.queue.run(id, async () => {
      const vm = this.vms.get(id);
      if (vm) await this.remove(vm);
    });
  }

  async reboot(id: string, hard: boolean): Promise<void> {
    await this.start();
    await this.queue.run(id, async () => {
      const vm = this.get(id);
      if (this.alive(vm) && hard) {
        // HARD: the machine's reset line, as a power cycle without ending the process.
        vm.bootOffset = vm.console.size();
        await vm.qmp!.execute('system_reset');
        vm.bootedAt = Date.now();
        this.save(vm);
        await this.boots.run(() => this.waitReady(vm, () => undefined));
      } else {
        // SOFT: the guest shuts down on the power button and the machine starts again; a guest that
        // does not answer in time is ended (Nova's fall-back to a hard reboot).
        if (this.alive(vm)) await this.stop(vm, true);
        await this.boots.run(async () => {
          await this.launch(vm);
          await this.waitReady(vm, () => undefined);
        });
      }
    });
  }

  async powerOff(id: string): Promise<void> {
    await this.start();
    await this.queue.run(id, () => this.stop(this.get(id), true));
  }

  async powerOn(id: string): Promise<void> {
    await this.start();
    await this.queue.run(id, async () => {
      const vm = this.get(id);
      if (this.alive(vm)) return;
      await this.boots.run(async () => {
        await this.launch(vm);
        await this.waitReady(vm, () => undefined);
      });
    });
  }

  async getInfo(id: string): Promise<InstanceInfo | null> {
    await this.start();
    const vm = this.vms.get(id);
    if (!vm) return null;
    if (!this.alive(vm)) return { id, running: false };
    const info: InstanceInfo = { id, running: true, pid: vm.pid! };
    if (vm.bootedAt !== null) info.uptimeSeconds = Math.max(0, Math.floor((Date.now() - vm.bootedAt) / 1000));
    return info;
  }

  async listInstances(): Promise<string[]> {
    await this.start();
    return [...this.vms.keys()];
  }

  watch(listener: (event: InstanceEvent) => void): void {
    this.listeners.push(listener);
  }

  async uptime(): Promise<string> {
    return hostUptime();
  }

  /** The serial console: everything the firmware, the kernel and the guest printed, across reboots. */
  async consoleOutput(id: string, length?: number): Promise<string> {
    await this.start();
    const lines = this.get(id).console.lines();
    return (length === undefined ? lines : lines.slice(-length)).join('\n');
  }

  /**
   * Lets go of the machines without stopping them: they are the hypervisor's, and the node's next
   * start adopts them again. New spawns are refused from here on.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.poller);
    for (const vm of this.vms.values()) {
      vm.qmp?.removeAllListeners();
      vm.qmp?.close();
      vm.qmp = null;
    }
  }

  // ---- the machines -------------------------------------------------------------------------------

  private async doStart(): Promise<void> {
    fs.mkdirSync(this.opts.stateDir, { recursive: true });
    const { stdout } = await run(this.opts.binary, ['--version']).catch((err: Error) => {
      throw new Error(`${this.opts.binary} is not usable (${err.message}); install qemu-system-x86`);
    });
    const [major = 0, minor = 0, micro = 0] = (/version (\d+)\.(\d+)\.(\d+)/.exec(stdout) ?? [])
      .slice(1)
      .map(Number);
    this.version = major * 1_000_000 + minor * 1_000 + micro;
    this.accel = this.opts.accel === 'auto' ? await this.probeKvm() : this.opts.accel;
    for (const id of fs.readdirSync(this.opts.stateDir)) {
      const file = path.join(this.opts.stateDir, id, 'state.json');
      if (!fs.existsSync(file)) continue;
      let state: VmState;
      try {
        state = JSON.parse(fs.readFileSync(file, 'utf8')) as VmState;
      } catch {
        continue;
      }
      const vm = this.track(state.spec);
      vm.bootOffset = state.bootOffset;
      vm.bootedAt = state.bootedAt;
      const pid = this.readPid(vm);
      if (pid !== null && this.isOurs(vm, pid)) {
        vm.pid = pid;
        await this.attach(vm).catch(() => undefined);
      }
    }
    this.poller = setInterval(() => this.poll(), this.opts.pollMs);
    this.poller.unref();
  }

  /**
   * KVM when the machine offers it and a guest really boots under it (nested virtualisation can
   * open /dev/kvm and still fail on the first instruction); TCG otherwise.
   */
  private async probeKvm(): Promise<Accel> {
    try {
      fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
    } catch {
      return 'tcg';
    }
    const cached = (id: string) => fs.existsSync(path.join(this.opts.imageDir, id));
    if (!cached(GUEST_KERNEL_ID) || !cached(GUEST_RAMDISK_ID)) return 'tcg';
    // The answer is the machine's: kept beside the image cache, asked again when QEMU changes.
    const memo = path.join(this.opts.imageDir, 'kvm-probe.json');
    try {
      const known = JSON.parse(fs.readFileSync(memo, 'utf8')) as { version: number; accel: Accel };
      if (known.version === this.version) return known.accel;
    } catch {
      // not probed yet
    }
    const accel = await this.bootUnderKvm();
    fs.writeFileSync(memo, JSON.stringify({ version: this.version, accel, at: new Date().toISOString() }));
    return accel;
  }

  /** Boots the default guest under KVM: 'kvm' if it says ready within 10 s (it takes under one). */
  private async bootUnderKvm(): Promise<Accel> {
    const dir = fs.mkdtempSync(path.join(this.opts.stateDir, '.kvm-probe-'));
    const probe = newVm(
      {
        id: 'kvm-probe',
        name: 'kvm-probe',
        flavor: { vcpus: 1, ram: 256 } as InstanceSpec['flavor'],
        imageRef: GUEST_KERNEL_ID,
        metadata: {},
        guest: { images: { properties: { ...GUEST_BOOT_PROPERTIES } } },
      },
      dir,
    );
    try {
      probe.console.reset();
      await this.launch(probe, 'kvm');
      await this.waitReady(probe, () => undefined, undefined, 10_000);
      return 'kvm';
    } catch {
      return 'tcg';
    } finally {
      await this.stop(probe, false).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  private track(spec: InstanceSpec): Vm {
    const vm = newVm(spec, path.join(this.opts.stateDir, spec.id));
    this.vms.set(spec.id, vm);
    return vm;
  }

  private get(id: string): Vm {
    const vm = this.vms.get(id);
    if (!vm) throw new InstanceNotFound(`instance ${id} is not on this host`);
    return vm;
  }

  private save(vm: Vm): void {
    const state: VmState = { spec: vm.spec, bootOffset: vm.bootOffset, bootedAt: vm.bootedAt };
    fs.writeFileSync(path.join(vm.dir, 'state.json.tmp'), JSON.stringify(state));
    fs.renameSync(path.join(vm.dir, 'state.json.tmp'), path.join(vm.dir, 'state.json'));
  }

  /** Starts the instance's QEMU (daemonised), then connects to its QMP socket. */
  private async launch(vm: Vm, accel: Accel = this.accel): Promise<void> {
    const { spec, dir } = vm;
    const boot = bootArgs(spec, dir, [this.opts.imageDir, ...(this.opts.imageStores ?? [])]);
    for (const f of ['qmp.sock', 'qemu.pid']) fs.rmSync(path.join(dir, f), { force: true });
    const nics = guestInterfaces(spec).flatMap((n, i) => [
      '-netdev',
      `user,id=net${i},restrict=on`,
      '-device',
      `virtio-net-pci,netdev=net${i},mac=${n.mac.toLowerCase()}`,
    ]);
    const uuid = UUID.test(spec.id) ? ['-uuid', spec.id] : [];
    const args = [
      '-name',
      `guest=${guestName(spec.id)}`,
      ...uuid,
      '-nodefaults',
      '-machine',
      'q35',
      '-accel',
      accel === 'kvm' ? 'kvm' : `tcg,tb-size=${this.opts.tbSizeMb}`,
      '-m',
      String(Math.max(128, spec.flavor.ram ?? 512)),
      '-smp',
      String(Math.max(1, spec.flavor.vcpus ?? 1)),
      '-display',
      'none',
      '-chardev',
      `file,id=console,path=${vm.console.file},append=on`,
      '-serial',
      'chardev:console',
      '-qmp',
      `unix:${path.join(dir, 'qmp.sock')},server=on,wait=off`,
      '-pidfile',
      path.join(dir, 'qemu.pid'),
      '-daemonize',
      ...boot,
      ...nics,
    ];
    vm.console.trim();
    vm.bootOffset = vm.console.size();
    // Saved before QEMU starts: a node killed at any moment from here finds the machine on its next start.
    this.save(vm);
    // A QEMU of this instance that the driver lost track of (its state was never saved) is ended
    // first: two machines of one instance must never run.
    for (const stray of qemuProcessesNamed(guestName(vm.id))) {
      try {
        process.kill(stray, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    try {
      await run(this.opts.binary, args, { timeout: 30_000 });
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new RescheduleError(
        `QEMU did not start: ${(e.stderr || e.message).trim().split('\n').slice(-3).join(' ')}`,
      );
    }
    const pid = this.readPid(vm);
    if (pid === null) throw new RescheduleError('QEMU started without writing its pid file');
    vm.pid = pid;
    vm.bootedAt = Date.now();
    this.save(vm);
    await this.attach(vm);
  }

  /** Connects to the instance's QMP socket and follows what QEMU says of it. */
  private async attach(vm: Vm): Promise<void> {
    // A QEMU among many booting under TCG may take seconds to answer its socket.
    const qmp = await QmpClient.connect(path.join(vm.dir, 'qmp.sock'), 30_000);
    vm.qmp = qmp;
    qmp.on('event', (e) => {
      // QEMU pauses a machine it cannot run on (e.g. "KVM internal error"): the boot will never end.
      if (e.event === 'STOP' && !vm.stopping) vm.halted = 'QEMU stopped the machine';
      if (e.event === 'GUEST_PANICKED') vm.halted = 'the guest panicked';
      if (e.event === 'RESUME') delete vm.halted;
      if (e.event === 'RESET') {
        vm.bootedAt = Date.now();
        if (!vm.stopping) this.save(vm);
      }
    });
    qmp.on('close', () => {
      if (vm.qmp === qmp) vm.qmp = null;
      this.noticeEnd(vm);
    });
  }

  /** A machine that ended without a driver call asking for it: its listeners hear of it once. */
  private noticeEnd(vm: Vm): void {
    if (vm.stopping || vm.pid === null || this.alive(vm)) return;
    vm.pid = null;
    const last = vm.console.lines().slice(-1)[0] ?? '';
    const reason = /Power down|powering off/.test(last) ? 'the guest powered off' : 'the QEMU process ended';
    for (const l of this.listeners) l({ id: vm.id, running: false, reason });
  }

  /** The backstop for a QEMU whose socket never said it closed. */
  private poll(): void {
    for (const vm of this.vms.values()) if (vm.pid !== null && !vm.stopping) this.noticeEnd(vm);
  }

  /**
   * Waits for the guest's ready line on the console, reporting the boot's milestones as progress. A
   * kernel panic or a machine that ends is the image's fault (no host will boot it); no ready line in
   * time is this host's (another may be less busy).
   */
  private async waitReady(
    vm: Vm,
    progress: (percent: number) => void,
    signal?: AbortSignal,
    timeoutMs = this.opts.bootTimeoutMs,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const mark = readyLine(vm.spec);
    if (mark === undefined) {
      // An image that names no ready line is up once QEMU runs it, as Nova's libvirt driver has it.
      const status = await vm.qmp?.execute<{ running: boolean }>('query-status').catch(() => null);
      if (status?.running) return;
      throw new RescheduleError(`QEMU does not run ${vm.id}: ${vm.halted ?? 'the machine ended'}`);
    }
    let reached = 0;
    for (;;) {
      const text = vm.console.read(vm.bootOffset);
      if (text.includes(mark)) return;
      for (const [mark, percent] of MILESTONES) {
        if (percent > reached && mark.test(text)) {
          reached = percent;
          progress(percent);
        }
      }
      if (PANIC.test(text) || !this.alive(vm) || vm.halted) {
        await sleep(300); // the panic's last lines
        const why = PANIC.test(text)
          ? 'the guest kernel panicked'
          : (vm.halted ?? 'the machine ended during boot');
        throw new BuildAbortError(`${why}; console: ${vm.console.faultExcerpt()}`);
      }
      if (signal?.aborted) return;
      if (Date.now() > deadline)
        throw new RescheduleError(
          `no ready line within ${timeoutMs} ms; console: ${vm.console.faultExcerpt()}`,
        );
      await sleep(100);
    }
  }

  /**
   * Stops the machine: with `acpi`, the power button first and the process ended only when the guest
   * does not power off in time; without, at once.
   */
  private async stop(vm: Vm, acpi: boolean): Promise<void> {
    if (!this.alive(vm)) {
      vm.pid = null;
      return;
    }
    vm.stopping = true;
    try {
      if (acpi && vm.qmp) {
        await vm.qmp.execute('system_powerdown').catch(() => undefined);
        if (await this.ended(vm, this.opts.shutdownTimeoutMs)) return;
      }
      await vm.qmp?.execute('quit').catch(() => undefined);
      if (await this.ended(vm, 5000)) return;
      try {
        process.kill(vm.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      await this.ended(vm, 5000);
    } finally {
      vm.qmp?.removeAllListeners();
      vm.qmp?.close();
      vm.qmp = null;
      vm.pid = null;
      vm.stopping = false;
    }
  }

  /** Ends the machine and removes every file it had. */
  private async remove(vm: Vm): Promise<void> {
    await this.stop(vm, false);
    fs.rmSync(vm.dir, { recursive: true, force: true });
    this.vms.delete(vm.id);
  }

  private async ended(vm: Vm, withinMs: number): Promise<boolean> {
    const deadline = Date.now() + withinMs;
    while (Date.now() < deadline) {
      if (!this.alive(vm)) return true;
      await sleep(50);
    }
    return !this.alive(vm);
  }

  private readPid(vm: Vm): number | null {
    try {
      const pid = Number(fs.readFileSync(path.join(vm.dir, 'qemu.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }

  /** A pid is this instance's QEMU while it lives and names the instance (pids are reused). */
  private isOurs(vm: Vm, pid: number): boolean {
    return isQemuNamed(pid, guestName(vm.id));
  }

  private alive(vm: Vm): boolean {
    return vm.pid !== null && this.isOurs(vm, vm.pid);
  }
}

/** A machine not started yet, keeping its files in `dir`. */
function newVm(spec: InstanceSpec, dir: string): Vm {
  return {
    id: spec.id,
    spec,
    dir,
    console: new ConsoleLog(path.join(dir, 'console.log')),
    pid: null,
    qmp: null,
    bootOffset: 0,
    bootedAt: null,
    stopping: false,
  };
}

/** The name QEMU runs an instance under; how the driver knows its processes from any other. */
const guestName = (id: string) => `novaflow-${id}`;

/** The console line that says the image's guest is up (its `novaflow_ready_line` property), if it names one. */
function readyLine(spec: InstanceSpec): string | undefined {
  const props = (spec.guest?.images as { properties?: Record<string, string> } | undefined)?.properties;
  const line = props?.novaflow_ready_line;
  return typeof line === 'string' && line.length > 0 ? line : undefined;
}
