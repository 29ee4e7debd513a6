import { setTimeout as sleep } from 'node:timers/promises';
import type { DriverCapability, DriverInventory, InstanceInfo, InstanceSpec, VirtDriver } from './driver';
import { BuildAbortError, InstanceNotFound, RescheduleError } from './driver';

export interface FakeDriverOptions {
  inventory?: Partial<DriverInventory>;
  /** Milliseconds a spawn takes. */
  spawnLatencyMs?: number;
  /** Fault to inject into every spawn: "reschedule" asks for another host, "abort" fails the build. */
  failSpawn?: 'reschedule' | 'abort' | null;
  capabilities?: DriverCapability[];
}

interface FakeInstance {
  spec: InstanceSpec;
  running: boolean;
  log: string[];
}

/**
 * An in-memory hypervisor with resource accounting and fault injection. Its settings are public and
 * mutable, so a test can break a host and fix it again while the node runs.
 */
/** What a fake guest prints on its console as it boots: a few kernel lines, then the boot line. */
export function fakeBootLog(name: string, imageRef: string): string[] {
  return [
    '[    0.000000] Linux version 6.6.0 (fake guest)',
    '[    0.000000] Command line: root=/dev/vda ro console=ttyS0',
    '[    0.731000] Run /sbin/init as init process',
    `${name} booted from ${imageRef}`,
  ];
}

export class FakeDriver implements VirtDriver {
  readonly name: string = 'fake';
  readonly capabilities: Set<DriverCapability>;
  readonly instances = new Map<string, FakeInstance>();
  spawnLatencyMs: number;
  failSpawn: 'reschedule' | 'abort' | null;
  /** How many spawns were asked of this host, including repeats: tests count duplicates with it. */
  spawnCalls = 0;
  private readonly inv: DriverInventory;
  private readonly bootedAt = Date.now();

  constructor(options: FakeDriverOptions = {}) {
    this.inv = {
      vcpus: 16,
      ram: 32768,
      disk: 500,
      hypervisorType: 'fake',
      hypervisorVersion: 1000,
      ...options.inventory,
    };
    this.spawnLatencyMs = options.spawnLatencyMs ?? 0;
    this.failSpawn = options.failSpawn ?? null;
    this.capabilities = new Set(options.capabilities ?? ['uptime', 'console-output']);
  }

  inventory(): DriverInventory {
    return { ...this.inv };
  }

  async spawn(spec: InstanceSpec, progress: (percent: number) => void, signal?: AbortSignal): Promise<void> {
    this.spawnCalls++;
    if (this.instances.get(spec.id)?.running) return;
    const steps = this.spawnLatencyMs > 0 ? 20 : 0;
    for (let i = 1; i <= steps; i++) {
      await sleep(this.spawnLatencyMs / steps);
      if (signal?.aborted) return;
      if (i % 5 === 0) progress(Math.round((i * 100) / (steps + 5)));
    }
    if (this.failSpawn === 'reschedule')
      throw new RescheduleError(`fake spawn failure on purpose for ${spec.id}`);
    if (this.failSpawn === 'abort') throw new BuildAbortError(`fake build abort on purpose for ${spec.id}`);
    this.instances.set(spec.id, { spec, running: true, log: fakeBootLog(spec.name, spec.imageRef) });
  }

  async destroy(id: string): Promise<void> {
    this.instances.delete(id);
  }

  private get(id: string): FakeInstance {
    const inst = this.instances.get(id);
    if (!inst) throw new InstanceNotFound(`instance ${id} is not on this host`);
    return inst;
  }

  async reboot(id: string, hard: boolean): Promise<void> {
    const inst = this.get(id);
    inst.running = true;
    inst.log.push(hard ? 'hard reboot' : 'soft reboot');
  }

  async powerOff(id: string): Promise<void> {
    this.get(id).running = false;
  }

  async powerOn(id: string): Promise<void> {
    this.get(id).running = true;
  }

  async getInfo(id: string): Promise<InstanceInfo | null> {
    const inst = this.instances.get(id);
    return inst ? { id, running: inst.running } : null;
  }

  async uptime(): Promise<string> {
    const secs = Math.floor((Date.now() - this.bootedAt) / 1000);
    return ` ${new Date().toISOString().slice(11, 19)} up ${Math.floor(secs / 60)} min,  0 users,  load average: 0.00, 0.00, 0.00`;
  }

  async consoleOutput(id: string, length?: number): Promise<string> {
    const lines = this.get(id).log;
    return (length ? lines.slice(-length) : lines).join('\n');
  }
}
