import fs from 'node:fs';

/**
 * Live (not zombie) QEMU processes whose command line mentions `needle` (an instance id, a state
 * directory): what tests and the bench count to prove a machine runs, or that none is left.
 */
export function qemuProcesses(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmd.startsWith('qemu-system') || !cmd.includes(needle)) continue;
      if (/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${entry}/stat`, 'utf8'))) continue;
      pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
