import { spawn } from 'node:child_process';
import { Supervisor } from '../scripts/supervisor';

const FAST = { initialDelayMs: 100, maxDelayMs: 400, healthyAfterMs: 60_000, stopGraceMs: 2_000 };

/** A real child process that runs until it is stopped or killed. */
const sleeper = () => spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });

async function until<T>(check: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('when a supervised child is killed with SIGKILL', () => {
  it('then it is started again with backoff, says so, and stop() stops everything for good', async () => {
    const lines: string[] = [];
    const sup = new Supervisor((l) => lines.push(l), FAST);
    await sup.add('worker', sleeper);
    await sup.add('other', sleeper);
    const first = sup.process('worker')!;
    const other = sup.process('other')!;

    for (let crash = 1; crash <= 3; crash++) {
      const before = sup.process('worker')!;
      process.kill(before.pid!, 'SIGKILL');
      const after = await until(() => {
        const p = sup.process('worker');
        return p && p !== before && p.pid ? p : undefined;
      });
      expect(after.pid).not.toBe(before.pid);
      expect(after.exitCode).toBeNull();
    }
    expect(sup.process('worker')!.pid).not.toBe(first.pid);
    // The other child never noticed.
    expect(sup.process('other')).toBe(other);
    expect(other.exitCode).toBeNull();
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^worker exited \(SIGKILL\) after [\d.]+ s; restarting in 0\.1 s \(crash 1 in a row\)$/,
    );
    expect(lines[2]).toContain('restarting in 0.4 s (crash 3 in a row)');

    const last = sup.process('worker')!;
    await sup.stop();
    expect(last.signalCode ?? last.exitCode).not.toBeNull();
    expect(other.signalCode ?? other.exitCode).not.toBeNull();
    await new Promise((r) => setTimeout(r, 600));
    expect(sup.process('worker')).toBe(last);
    expect(lines).toHaveLength(3);
  }, 30_000);
});
