import type { ChildProcess } from 'node:child_process';
import { stopProcess } from './stop-process';

/** How a supervisor waits before restarting a child that crashed, and when it forgives old crashes. */
export interface RestartPolicy {
  /** First pause before a restart; each crash in a row doubles it. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A child that ran this long before it died starts again from the first pause. */
  healthyAfterMs: number;
  /** How long a stopping child gets after SIGTERM before SIGKILL. */
  stopGraceMs: number;
}

export const DEFAULT_RESTART: RestartPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  healthyAfterMs: 60_000,
  stopGraceMs: 10_000,
};

interface Child {
  name: string;
  start: () => ChildProcess | Promise<ChildProcess>;
  proc?: ChildProcess;
  startedAt: number;
  crashes: number;
  timer?: NodeJS.Timeout;
}

/**
 * Keeps a set of child processes running: one that exits while the stack is up is started again
 * after a backoff (0.5 s, 1 s, 2 s ... 30 s; back to 0.5 s once it ran a minute), and each restart
 * is logged. `stop()` stops them all and restarts nothing more. Every child is durable state's
 * client, never its owner, so a restart loses nothing: its work waits in Temporal meanwhile.
 */
export class Supervisor {
  private readonly children: Child[] = [];
  private stopping = false;

  constructor(
    private readonly log: (line: string) => void,
    private readonly policy: RestartPolicy = DEFAULT_RESTART,
  ) {}

  /** Starts a child and keeps it running; `start` spawns it (again, after a crash). */
  async add(name: string, start: Child['start']): Promise<void> {
    const child: Child = { name, start, startedAt: 0, crashes: 0 };
    this.children.push(child);
    await this.launch(child);
  }

  /** The running process of a child (for tests and status). */
  process(name: string): ChildProcess | undefined {
    return this.children.find((c) => c.name === name)?.proc;
  }

  private async launch(child: Child): Promise<void> {
    if (this.stopping) return;
    const proc = await child.start();
    child.proc = proc;
    child.startedAt = Date.now();
    proc.once('exit', (code, signal) => this.exited(child, proc, code, signal));
  }

  private exited(child: Child, proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping || child.proc !== proc) return;
    const ranMs = Date.now() - child.startedAt;
    child.crashes = ranMs >= this.policy.healthyAfterMs ? 1 : child.crashes + 1;
    const delay = Math.min(this.policy.initialDelayMs * 2 ** (child.crashes - 1), this.policy.maxDelayMs);
    this.log(
      `${child.name} exited (${signal ?? `code ${code}`}) after ${(ranMs / 1000).toFixed(1)} s; ` +
        `restarting in ${(delay / 1000).toFixed(1)} s (crash ${child.crashes} in a row)`,
    );
    child.timer = setTimeout(() => {
      this.launch(child).catch((err) => {
        this.log(`${child.name} could not be restarted: ${(err as Error).message}`);
        this.exited(child, proc, null, null);
      });
    }, delay);
  }

  /**
   * Stops every child (SIGTERM, then SIGKILL after the grace period), the last added first, so what
   * others depend on (the Temporal server) goes last; nothing is restarted after.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const c of this.children) clearTimeout(c.timer);
    for (const c of [...this.children].reverse()) {
      if (c.proc) await stopProcess(c.proc, this.policy.stopGraceMs);
    }
  }
}
