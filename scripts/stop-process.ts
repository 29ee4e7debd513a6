import type { ChildProcess } from 'node:child_process';

/** Asks a child process to stop with SIGTERM and kills it if it has not exited after `graceMs`. */
export function stopProcess(proc: ChildProcess, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const force = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}
