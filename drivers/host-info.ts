import fs from 'node:fs';
import os from 'node:os';
import type { DriverInventory } from './driver';

const MB = 1024 * 1024;
const GB = 1024 * MB;

/**
 * A line in the format of the `uptime` command (procps), e.g.
 * ` 10:04:07 up 3 days,  4:05,  load average: 0.08, 0.03, 0.01`. The user count is left out: it would
 * need utmp, and a made-up number would be worse than none.
 */
export function formatUptime(now: Date, uptimeSeconds: number, loadavg: number[]): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const clock = `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
  const total = Math.floor(uptimeSeconds / 60);
  const days = Math.floor(total / 1440);
  const hours = Math.floor((total % 1440) / 60);
  const minutes = total % 60;
  let up = days > 0 ? `${days} day${days === 1 ? '' : 's'}, ` : '';
  up += hours > 0 ? `${String(hours).padStart(2)}:${pad(minutes)}, ` : `${minutes} min, `;
  const load = [0, 1, 2].map((i) => (loadavg[i] ?? 0).toFixed(2)).join(', ');
  return ` ${clock} up ${up} load average: ${load}`;
}

/** This machine's uptime line, from the kernel's figures. */
export function hostUptime(): string {
  return formatUptime(new Date(), os.uptime(), os.loadavg());
}

/** Node's version as one integer (major * 1e6 + minor * 1e3 + patch), the way Nova encodes versions. */
export function runtimeVersion(version = process.versions.node): number {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
  return major * 1_000_000 + minor * 1_000 + patch;
}

/** The real machine's resources: its CPUs, its memory, and the size of the filesystem holding `dataDir`. */
export function hostInventory(dataDir: string, overrides: Partial<DriverInventory> = {}): DriverInventory {
  const measureDisk = () => {
    const st = fs.statfsSync(dataDir);
    return Math.floor((st.blocks * st.bsize) / GB);
  };
  return {
    vcpus: os.cpus().length,
    ram: Math.floor(os.totalmem() / MB),
    disk: overrides.disk ?? measureDisk(),
    hypervisorType: 'process',
    hypervisorVersion: runtimeVersion(),
    ...overrides,
  };
}
