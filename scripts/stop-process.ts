import type { ChildProcess } from 'node:child_process';

/** Signals a child's whole process group when it leads one (a detached child), else the child alone. */
function signal(proc: ChildProcess, sig: NodeJS.Signals): void {
  try {
    process.kill(-proc.pid!, sig);
  } catch {
    proc.kill(sig);
  }
}

/** Asks a child process to stop with SIGTERM and kills it if it has not exited after `graceMs`. */
export function stopProcess(proc: ChildProcess, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const force = setTimeout(() => signal(proc, 'SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    signal(proc, 'SIGTERM');
  });
}
