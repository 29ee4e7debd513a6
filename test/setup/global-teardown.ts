import fs from 'node:fs';
import type { DevServer } from '../../scripts/temporal';

/** Stops the run's dev server so nothing is left running. */
export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __novaflowDevServer?: DevServer }).__novaflowDevServer;
  await server?.stop('SIGTERM');
  const dir = process.env.NOVAFLOW_TEST_DIR;
  if (dir && !process.env.NOVAFLOW_KEEP_TEST_DATA) fs.rmSync(dir, { recursive: true, force: true });
}
