import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { eventually, type Stack } from './stack';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Starts a stack's control worker as a process of its own (test/support/control-process.ts), for a
 * test to kill for real; resolves once it polls, with the lines it prints. `env` reaches the child.
 */
export async function startControl(
  stack: Stack,
  env: NodeJS.ProcessEnv = {},
): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'test/support/control-process.ts')],
    {
      env: { ...process.env, TEMPORAL_NAMESPACE: stack.namespace, ...env },
      // Its worker's logs are not the test's: stderr is drained, not shown.
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  started.push(child);
  const lines: string[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  child.stderr!.resume();
  await eventually(
    async () => (lines.includes('control worker running') ? true : undefined),
    60_000,
    'the control worker',
  );
  return { child, lines };
}

const started: ChildProcess[] = [];

/** Kills every control process a test started (its afterAll). */
export function killControls(): void {
  for (const c of started) c.kill('SIGKILL');
  started.length = 0;
}
