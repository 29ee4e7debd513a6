import fs from 'node:fs';
import path from 'node:path';
import type { InstanceSpec } from '../driver';
import { BuildAbortError, RescheduleError } from '../driver';
import { bootArgs, UUID } from './boot-args';
import { ConsoleLog, PANIC } from './console-log';
import { guestInterfaces } from './guest-config';
import { isQemuNamed } from './processes';
import type { QmpClient } from './qmp';

export type Accel = 'kvm' | 'tcg';

/** One instance: its files and, while it runs, its QEMU process and QMP connection. */
export interface Vm {
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
export interface VmState {
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

/** A machine not started yet, keeping its files in `dir`. */
export function newVm(spec: InstanceSpec, dir: string): Vm {
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
export const guestName = (id: string) => `novaflow-${id}`;

/** Writes what the next start of the node needs to adopt the machine (atomically). */
export function saveVm(vm: Vm): void {
  const state: VmState = { spec: vm.spec, bootOffset: vm.bootOffset, bootedAt: vm.bootedAt };
  fs.writeFileSync(path.join(vm.dir, 'state.json.tmp'), JSON.stringify(state));
  fs.renameSync(path.join(vm.dir, 'state.json.tmp'), path.join(vm.dir, 'state.json'));
}

/** What a previous run of the node saved of the machine in `dir`, if it saved anything that still reads. */
export function loadVmState(dir: string): VmState | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as VmState;
  } catch {
    return undefined;
  }
}

/** The pid QEMU wrote when it daemonised, if it did. */
export function readPid(vm: Vm): number | null {
  try {
    const pid = Number(fs.readFileSync(path.join(vm.dir, 'qemu.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** A pid is this instance's QEMU while it lives and names the instance (pids are reused). */
export function isOurs(vm: Vm, pid: number): boolean {
  return isQemuNamed(pid, guestName(vm.id));
}

export function isAlive(vm: Vm): boolean {
  return vm.pid !== null && isOurs(vm, vm.pid);
}

/** Whether the machine's process is gone within `withinMs`. */
async function endedWithin(vm: Vm, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (!isAlive(vm)) return true;
    await sleep(50);
  }
  return !isAlive(vm);
}

/** QEMU's command line for the instance: daemonised, console to its log, QMP on its socket. */
export function qemuArgs(vm: Vm, imageDirs: string[], accel: Accel, tbSizeMb: number): string[] {
  const { spec, dir } = vm;
  const nics = guestInterfaces(spec).flatMap((n, i) => [
    '-netdev',
    `user,id=net${i},restrict=on`,
    '-device',
    `virtio-net-pci,netdev=net${i},mac=${n.mac.toLowerCase()}`,
  ]);
  const uuid = UUID.test(spec.id) ? ['-uuid', spec.id] : [];
  return [
    '-name',
    `guest=${guestName(spec.id)}`,
    ...uuid,
    '-nodefaults',
    '-machine',
    'q35',
    '-accel',
    accel === 'kvm' ? 'kvm' : `tcg,tb-size=${tbSizeMb}`,
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
    ...bootArgs(spec, dir, imageDirs),
    ...nics,
  ];
}

/** The console line that says the image's guest is up (its `novaflow_ready_line` property), if it names one. */
function readyLine(spec: InstanceSpec): string | undefined {
  const props = (spec.guest?.images as { properties?: Record<string, string> } | undefined)?.properties;
  const line = props?.novaflow_ready_line;
  return typeof line === 'string' && line.length > 0 ? line : undefined;
}

/**
 * Waits for the guest's ready line on the console, reporting the boot's milestones as progress. A
 * kernel panic or a machine that ends is the image's fault (no host will boot it); no ready line in
 * time is this host's (another may be less busy).
 */
export async function waitReady(
  vm: Vm,
  progress: (percent: number) => void,
  signal: AbortSignal | undefined,
  timeoutMs: number,
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
    for (const [milestone, percent] of MILESTONES) {
      if (percent > reached && milestone.test(text)) {
        reached = percent;
        progress(percent);
      }
    }
    if (PANIC.test(text) || !isAlive(vm) || vm.halted) {
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
 * Stops the machine: with `acpiTimeoutMs`, the power button first and the process ended only when the
 * guest does not power off in that time; without, at once.
 */
export async function stopVm(vm: Vm, acpiTimeoutMs?: number): Promise<void> {
  if (!isAlive(vm)) {
    vm.pid = null;
    return;
  }
  vm.stopping = true;
  try {
    if (acpiTimeoutMs !== undefined && vm.qmp) {
      await vm.qmp.execute('system_powerdown').catch(() => undefined);
      if (await endedWithin(vm, acpiTimeoutMs)) return;
    }
    await vm.qmp?.execute('quit').catch(() => undefined);
    if (await endedWithin(vm, 5000)) return;
    try {
      process.kill(vm.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await endedWithin(vm, 5000);
  } finally {
    vm.qmp?.removeAllListeners();
    vm.qmp?.close();
    vm.qmp = null;
    vm.pid = null;
    vm.stopping = false;
  }
}
