import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import type {
  DriverCapability,
  DriverInventory,
  InstanceEvent,
  InstanceInfo,
  InstanceSpec,
  VirtDriver,
} from './driver';
import { InstanceNotFound, RescheduleError } from './driver';
import { hostInventory, hostUptime } from './host-info';
import { KeyedQueue } from './keyed-queue';
import { LineRing } from './ring-buffer';

export interface ProcessDriverOptions {
  /** Directory whose filesystem size is reported as the host's disk (default: the working directory). */
  dataDir?: string;
  /** Figures that replace the measured ones, e.g. the disk set aside for instances. */
  inventory?: Partial<DriverInventory>;
  /** Console lines kept per instance (default 1000). */
  consoleLines?: number;
  /** How long a guest may take to stop after SIGTERM before it gets SIGKILL (default 5000 ms). */
  stopGraceMs?: number;
  /** How long a guest may take to print its login prompt (default 10000 ms). */
  bootTimeoutMs?: number;
  /** The program that runs the guest (default: this Node binary). */
  execPath?: string;
  /** The guest script (default: drivers/guest.js). */
  guestScript?: string;
}

interface Guest {
  spec: InstanceSpec;
  child: ChildProcess | null;
  console: LineRing;
  /** A driver call is stopping it: its exit is not news. */
  stopping?: boolean;
}

/** The prompt a guest prints once it has booted; the driver reports the spawn done when it shows. */
const READY_MARK = ' login:';

/** A child that never got a pid (the spawn itself failed) never runs and never exits either. */
const alive = (child: ChildProcess | null): child is ChildProcess =>
  child?.pid !== undefined && child.exitCode === null && child.signalCode === null;

function exited(child: ChildProcess): Promise<void> {
  return alive(child) ? new Promise((resolve) => child.once('exit', () => resolve())) : Promise.resolve();
}

/**
 * Each instance is a real OS process on the compute node, supervised by this driver: it has a real
 * pid, a reboot really replaces the process, and the console output is what the process printed. The
 * guests die with the node: `close()` stops them, and a guest whose node vanished sees its stdin close.
 */
export class ProcessDriver implements VirtDriver {
  readonly name = 'process';
  readonly capabilities: ReadonlySet<DriverCapability> = new Set<DriverCapability>([
    'uptime',
    'console-output',
  ]);
  private readonly guests = new Map<string, Guest>();
  private readonly queue = new KeyedQueue();
  private readonly listeners: ((e: InstanceEvent) => void)[] = [];
  private readonly opts: Required<Omit<ProcessDriverOptions, 'inventory'>> & ProcessDriverOptions;
  private closed = false;

  constructor(options: ProcessDriverOptions = {}) {
    this.opts = {
      dataDir: process.cwd(),
      consoleLines: 1000,
      stopGraceMs: 5000,
      bootTimeoutMs: 10_000,
      execPath: process.execPath,
      guestScript: path.join(__dirname, 'guest.js'),
      ...options,
    };
  }

  inventory(): DriverInventory {
    return hostInventory(this.opts.dataDir, this.opts.inventory);
  }

  async spawn(spec: InstanceSpec, progress: (percent: number) => void): Promise<void> {
    await this.serial(spec.id, async () => {
      if (this.closed) throw new RescheduleError(`compute node is shutting down; ${spec.id} not spawned`);
      const known = this.guests.get(spec.id);
      if (alive(known?.child ?? null)) return;
      const guest = known ?? { spec, child: null, console: new LineRing(this.opts.consoleLines) };
      this.guests.set(spec.id, guest);
      try {
        await this.boot(guest, progress);
      } catch (err) {
        // A guest that never booted is no instance: nothing of it stays for a later host to trip on.
        await this.stop(guest, 'SIGKILL');
        this.guests.delete(spec.id);
        throw new RescheduleError(`process for ${spec.id} failed to start: ${(err as Error).message}`);
      }
    });
  }

  async destroy(id: string): Promise<void> {
    await this.serial(id, async () => {
      const guest = this.guests.get(id);
      if (!guest) return;
      await this.stop(guest, 'SIGTERM');
      this.guests.delete(id);
    });
  }

  async reboot(id: string, hard: boolean): Promise<void> {
    await this.serial(id, async () => {
      const guest = this.get(id);
      await this.stop(guest, hard ? 'SIGKILL' : 'SIGTERM');
      await this.boot(guest, () => undefined);
    });
  }

  async powerOff(id: string): Promise<void> {
    await this.serial(id, () => this.stop(this.get(id), 'SIGTERM'));
  }

  async powerOn(id: string): Promise<void> {
    await this.serial(id, async () => {
      const guest = this.get(id);
      if (!alive(guest.child)) await this.boot(guest, () => undefined);
    });
  }

  async getInfo(id: string): Promise<InstanceInfo | null> {
    const guest = this.guests.get(id);
    if (!guest) return null;
    const running = alive(guest.child);
    return running ? { id, running, pid: guest.child!.pid } : { id, running };
  }

  async listInstances(): Promise<string[]> {
    return [...this.guests.keys()];
  }

  watch(listener: (event: InstanceEvent) => void): void {
    this.listeners.push(listener);
  }

  async uptime(): Promise<string> {
    return hostUptime();
  }

  async consoleOutput(id: string, length?: number): Promise<string> {
    return this.get(id).console.tail(length).join('\n');
  }

  /** Stops every guest (SIGTERM, then SIGKILL after the grace period); later spawns are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.guests.keys()].map((id) => this.destroy(id)));
  }

  private get(id: string): Guest {
    const guest = this.guests.get(id);
    if (!guest) throw new InstanceNotFound(`instance ${id} is not on this host`);
    return guest;
  }

  private serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.queue.run(id, fn);
  }

  /** Starts the guest's process and waits for its login prompt. */
  private async boot(guest: Guest, progress: (percent: number) => void): Promise<void> {
    const { spec } = guest;
    // What the build steps prepared reaches the guest as a config drive would: one JSON document.
    const child = spawnChild(this.opts.execPath, [this.opts.guestScript, spec.name, spec.imageRef], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // Nothing of the node's own environment (its credentials) leaks into a guest.
      env: { PATH: process.env.PATH ?? '', NOVAFLOW_GUEST_CONFIG: JSON.stringify(spec.guest ?? {}) },
    });
    guest.child = child;
    // An unhandled 'error' (e.g. a spawn failure) would crash the node; boot() reports it instead.
    child.on('error', () => undefined);
    child.stdin?.on('error', () => undefined);
    let ready!: () => void;
    const booted = new Promise<void>((resolve) => (ready = resolve));
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      readline.createInterface({ input: stream }).on('line', (line) => {
        guest.console.push(line);
        if (line.endsWith(READY_MARK)) ready();
      });
    }
    let up = false;
    child.once('exit', (code, signal) => {
      const mine = guest.child === child;
      if (mine) guest.child = null;
      const how = signal ?? `code ${code}`;
      guest.console.push(`[novaflow] process ${child.pid} exited (${how})`);
      // A booted guest that ended with no driver call stopping it (killed, crashed) is news.
      if (mine && up && !guest.stopping && !this.closed)
        for (const l of this.listeners)
          l({ id: spec.id, running: false, reason: `the guest process ended (${how})` });
    });

    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    progress(30);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        booted,
        new Promise<never>((_, reject) => {
          child.once('exit', (code, signal) => reject(new Error(`exited during boot (${signal ?? code})`)));
          timer = setTimeout(
            () => reject(new Error(`no login prompt within ${this.opts.bootTimeoutMs} ms`)),
            this.opts.bootTimeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    up = true;
    progress(100);
  }

  /** Stops the guest's process if it runs; SIGTERM escalates to SIGKILL after the grace period. */
  private async stop(guest: Guest, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const child = guest.child;
    if (!alive(child)) {
      guest.child = null;
      return;
    }
    const gone = exited(child);
    guest.stopping = true;
    child.kill(signal);
    if (signal === 'SIGTERM') {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>(
        (resolve) => (timer = setTimeout(() => resolve('late'), this.opts.stopGraceMs)),
      );
      const outcome = await Promise.race([gone.then(() => 'gone' as const), late]);
      clearTimeout(timer);
      if (outcome === 'late') child.kill('SIGKILL');
    }
    await gone;
    guest.child = null;
    guest.stopping = false;
  }
}
