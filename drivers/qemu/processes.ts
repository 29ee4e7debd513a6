import fs from 'node:fs';

/** Whether /proc's stat line says the process is a zombie: it has ended, only not been reaped. */
const zombie = (pid: string | number) => /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));

/** The live QEMU processes whose command line passes `match` (its arguments, split). */
function qemuWhere(match: (args: string[], raw: string) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const raw = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!raw.startsWith('qemu-system') || !match(raw.split('\0'), raw) || zombie(entry)) continue;
      pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * Live (not zombie) QEMU processes whose command line mentions `needle` (an instance id, a state
 * directory): what tests and the bench count to prove a machine runs, or that none is left.
 */
export function qemuProcesses(needle: string): number[] {
  return qemuWhere((_args, raw) => raw.includes(needle));
}

/** Live QEMU processes started with exactly this `-name guest=<name>`. */
export function qemuProcessesNamed(name: string): number[] {
  return qemuWhere((args) => args.includes(`guest=${name}`));
}

/** Whether `pid` is a live QEMU process started with `-name guest=<name>` (pids are reused). */
export function isQemuNamed(pid: number, name: string): boolean {
  try {
    if (zombie(pid)) return false;
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(`guest=${name}`);
  } catch {
    return false;
  }
}
