import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadEnv } from '../config/env';
import { stopProcess } from './stop-process';
import { registerSearchAttributes, ROOT, startDevServer, type DevServer } from './temporal';

/**
 * `npm start`: the whole stack on one machine. The Temporal dev server on a SQLite file under .data/
 * (unless TEMPORAL_ADDRESS names a server to use), the admission worker, the control worker, two
 * compute nodes and the API.
 * A second start on the same .data/ resumes every unfinished workflow.
 */
const COMPUTE_HOSTS = (process.env.NOVAFLOW_COMPUTE_HOSTS ?? 'compute-1,compute-2')
  .split(',')
  .filter(Boolean);

const children: { name: string; proc: ChildProcess }[] = [];
let devServer: DevServer | undefined;
let stopping = false;

function run(name: string, script: string, args: string[], env: NodeJS.ProcessEnv) {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => `${name.padEnd(10)}| ${l}`)
      .join('\n');
  proc.stdout?.on('data', (c: Buffer) => console.log(prefix(c)));
  proc.stderr?.on('data', (c: Buffer) => console.error(prefix(c)));
  proc.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`${name} exited (${signal ?? code}); stopping the stack`);
    void stop(1);
  });
  children.push({ name, proc });
}

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping novaflow ...');
  await Promise.all(children.map(({ proc }) => stopProcess(proc, 10_000)));
  await devServer?.stop('SIGTERM');
  process.exit(code);
}

async function main() {
  const env = loadEnv();
  let address = process.env.TEMPORAL_ADDRESS;
  const dataDir = path.join(ROOT, '.data');
  fs.mkdirSync(dataDir, { recursive: true });
  if (!address) {
    console.log('starting the Temporal dev server (SQLite in .data/temporal.db) ...');
    devServer = await startDevServer({
      port: 7233,
      uiPort: 8233,
      ip: '127.0.0.1',
      dbFile: path.join(dataDir, 'temporal.db'),
      logFile: path.join(dataDir, 'temporal.log'),
    });
    address = devServer.address;
    devServer.process.on('exit', (c) => {
      if (!stopping) {
        console.error(`temporal dev server exited (${c}); see .data/temporal.log`);
        void stop(1);
      }
    });
  }
  await registerSearchAttributes(address, env.TEMPORAL_NAMESPACE);
  const childEnv = { ...process.env, TEMPORAL_ADDRESS: address };
  run('admission', 'workers/admission-main.ts', [], childEnv);
  run('control', 'workers/control-main.ts', [], childEnv);
  for (const host of COMPUTE_HOSTS) run(host, 'workers/compute-main.ts', ['--host', host], childEnv);
  run('api', 'api/main.ts', [], childEnv);
  console.log(`
novaflow is starting:
  Nova API      http://localhost:${env.NOVAFLOW_API_PORT}/v2.1   (X-Auth-Token: <user>:<project>; user admin is admin)
  Temporal UI   ${devServer ? 'http://localhost:8233' : env.TEMPORAL_UI_URL}
  Temporal      ${address} (namespace ${env.TEMPORAL_NAMESPACE})
  compute nodes ${COMPUTE_HOSTS.join(', ')} (driver ${env.NOVAFLOW_DRIVER})
Ctrl-C stops everything.
`);
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void stop(0));
main().catch((err) => {
  console.error(err);
  void stop(1);
});
