import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { freePort, registerSearchAttributes, ROOT, startDevServer } from '../../scripts/temporal';
import { workflowEntry } from '../../extensions/bundle';
import { builtinWorkflowModules, builtinWorkflowTypes } from '../../extensions/registry';

export const NAMESPACE_POOL = Array.from(
  { length: 60 },
  (_, i) => `nf-test-${String(i + 1).padStart(2, '0')}`,
);

/** One dev server for the whole run on free ports, and the workflow bundle built once and shared. */
export default async function globalSetup(): Promise<void> {
  // Warnings and errors only: info lines (an access line per request) would bury the test output.
  process.env.NOVAFLOW_LOG_LEVEL ??= 'warn';
  const dir = path.join(ROOT, '.data', 'test', String(process.pid));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'claims'), { recursive: true });
  // Bundle first: a bundling error then leaves no server behind.
  const { code } = await bundleWorkflowCode({
    workflowsPath: workflowEntry(builtinWorkflowTypes()),
    workflowInterceptorModules: builtinWorkflowModules(),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never,
  });
  const codePath = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(codePath, code);
  const server = await startDevServer({
    port: await freePort(),
    dbFile: path.join(dir, 'temporal.db'),
    namespaces: NAMESPACE_POOL,
    logFile: path.join(dir, 'temporal.log'),
  });
  try {
    await Promise.all(NAMESPACE_POOL.map((ns) => registerSearchAttributes(server.address, ns)));
  } catch (err) {
    await server.stop('SIGKILL');
    throw err;
  }
  process.env.NOVAFLOW_TEST_TEMPORAL_ADDRESS = server.address;
  process.env.NOVAFLOW_TEST_BUNDLE = codePath;
  process.env.NOVAFLOW_TEST_DIR = dir;
  // Uploaded image data goes to the run's own folder, never to the checkout's .data/.
  process.env.NOVAFLOW_IMAGE_STORE = path.join(dir, 'images');
  (globalThis as { __novaflowDevServer?: typeof server }).__novaflowDevServer = server;
}
