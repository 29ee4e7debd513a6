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
import { GUEST_BOOT_PROPERTIES, GUEST_KERNEL_ID, GUEST_RAMDISK_ID } from '../../common/guest-image';
import { qemuProcessesNamed } from './processes';
import { QmpClient } from './qmp';
import {
  type Accel,
  guestName,
  isAlive,
  isOurs,
  loadVmState,
  newVm,
  qemuArgs,
  readPid,
  saveVm,
  stopVm,
  type Vm,
  waitReady,
} from './vm';

const run = promisify(execFile);

export type { Accel } from './vm';

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
      if (known && isAlive(known)) {
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
      if (isAlive(vm) && hard) {
        // HARD: the machine's reset line, as a power cycle without ending the process.
        vm.bootOffset = vm.console.size();
        await vm.qmp!.execute('system_reset');
        vm.bootedAt = Date.now();
        saveVm(vm);
        await this.boots.run(() => this.waitReady(vm, () => undefined));
      } else {
        // SOFT: the guest shuts down on the power button and the machine starts again; a guest that
        // does not answer in time is ended (Nova's fall-back to a hard reboot).
        if (isAlive(vm)) await this.stop(vm, true);
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
      if (isAlive(vm)) return;
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
    if (!isAlive(vm)) return { id, running: false };
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
      const state = loadVmState(path.join(this.opts.stateDir, id));
      if (!state) continue;
      const vm = this.track(state.spec);
      vm.bootOffset = state.bootOffset;
      vm.bootedAt = state.bootedAt;
      const pid = readPid(vm);
      if (pid !== null && isOurs(vm, pid)) {
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

  /** Starts the instance's QEMU (daemonised), then connects to its QMP socket. */
  private async launch(vm: Vm, accel: Accel = this.accel): Promise<void> {
    const args = qemuArgs(
      vm,
      [this.opts.imageDir, ...(this.opts.imageStores ?? [])],
      accel,
      this.opts.tbSizeMb,
    );
    for (const f of ['qmp.sock', 'qemu.pid']) fs.rmSync(path.join(vm.dir, f), { force: true });
    vm.console.trim();
    vm.bootOffset = vm.console.size();
    // Saved before QEMU starts: a node killed at any moment from here finds the machine on its next start.
    saveVm(vm);
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
    const pid = readPid(vm);
    if (pid === null) throw new RescheduleError('QEMU started without writing its pid file');
    vm.pid = pid;
    vm.bootedAt = Date.now();
    saveVm(vm);
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
        if (!vm.stopping) saveVm(vm);
      }
    });
    qmp.on('close', () => {
      if (vm.qmp === qmp) vm.qmp = null;
      this.noticeEnd(vm);
    });
  }

  /** A machine that ended without a driver call asking for it: its listeners hear of it once. */
  private noticeEnd(vm: Vm): void {
    if (vm.stopping || vm.pid === null || isAlive(vm)) return;
    vm.pid = null;
    const last = vm.console.lines().slice(-1)[0] ?? '';
    const reason = /Power down|powering off/.test(last) ? 'the guest powered off' : 'the QEMU process ended';
    for (const l of this.listeners) l({ id: vm.id, running: false, reason });
  }

  /** The backstop for a QEMU whose socket never said it closed. */
  private poll(): void {
    for (const vm of this.vms.values()) if (vm.pid !== null && !vm.stopping) this.noticeEnd(vm);
  }

  private waitReady(
    vm: Vm,
    progress: (percent: number) => void,
    signal?: AbortSignal,
    timeoutMs = this.opts.bootTimeoutMs,
  ): Promise<void> {
    return waitReady(vm, progress, signal, timeoutMs);
  }

  /** Stops the machine: with `acpi`, the power button first (Nova's graceful stop); without, at once. */
  private stop(vm: Vm, acpi: boolean): Promise<void> {
    return stopVm(vm, acpi ? this.opts.shutdownTimeoutMs : undefined);
  }

  /** Ends the machine and removes every file it had. */
  private async remove(vm: Vm): Promise<void> {
    await this.stop(vm, false);
    fs.rmSync(vm.dir, { recursive: true, force: true });
    this.vms.delete(vm.id);
  }
}
