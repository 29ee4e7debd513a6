import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadEnv, type Env } from '../config/env';
import { Supervisor } from './supervisor';
import { registerSearchAttributes, ROOT, startDevServer, type DevServer } from './temporal';
import { prepareKeystone, startKeystone } from './keystone';
import { seedKeystone, writeCloudsYaml } from './keystone-seed';
import { loadExtensions } from '../extensions/registry';

/**
 * `npm start`: the whole stack on one machine. The Temporal dev server on a SQLite file under .data/
 * (unless TEMPORAL_ADDRESS names a server to use), Keystone on SQLite under .data/keystone/ (unless
 * KEYSTONE_URL names one to use, or NOVAFLOW_AUTH=noauth), the admission worker, the control worker,
 * two compute nodes and the API, each restarted by a supervisor when it dies.
 * A second start on the same .data/ resumes every unfinished workflow.
 */
// A driver that runs real machines (qemu, process) reports this machine's whole inventory: one node
// per machine, or two nodes would offer the same CPUs and RAM twice.
const REAL_DRIVER = ['qemu', 'process'].includes(process.env.NOVAFLOW_DRIVER ?? '');
const COMPUTE_HOSTS = (
  process.env.NOVAFLOW_COMPUTE_HOSTS ?? (REAL_DRIVER ? 'compute-1' : 'compute-1,compute-2')
)
  .split(',')
  .filter(Boolean);

let devServer: DevServer | undefined;
let stopping = false;
const supervisor = new Supervisor((line) => console.error(`supervisor | ${line}`));

/** Spawns one of the stack's Node processes, its output prefixed with its name. */
function spawnNode(name: string, script: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
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
  return proc;
}

function run(name: string, script: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return supervisor.add(name, () => spawnNode(name, script, args, env));
}

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping novaflow ...');
  await supervisor.stop();
  process.exit(code);
}

async function main() {
  const env = loadEnv();
  let address = process.env.TEMPORAL_ADDRESS;
  const dataDir = path.join(ROOT, '.data');
  fs.mkdirSync(dataDir, { recursive: true });
  if (!address) {
    console.log('starting the Temporal dev server (SQLite in .data/temporal.db) ...');
    const startTemporal = async () => {
      devServer = await startDevServer({
        port: 7233,
        uiPort: 8233,
        ip: '127.0.0.1',
        dbFile: path.join(dataDir, 'temporal.db'),
        logFile: path.join(dataDir, 'temporal.log'),
      });
      return devServer.process;
    };
    // The dev server is supervised too: restarted on the same SQLite file, it resumes every workflow.
    await supervisor.add('temporal', startTemporal);
    address = devServer!.address;
  }
  await registerSearchAttributes(address, env.TEMPORAL_NAMESPACE);
  const childEnv: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: address };
  const identity = await startIdentity(env, dataDir, childEnv);
  await run('admission', 'workers/admission-main.ts', [], childEnv);
  await run('control', 'workers/control-main.ts', [], childEnv);
  for (const host of COMPUTE_HOSTS) await run(host, 'workers/compute-main.ts', ['--host', host], childEnv);
  await run('api', 'api/main.ts', [], childEnv);
  console.log(`
novaflow is starting:
  Nova API      http://localhost:${env.NOVAFLOW_API_PORT}/v2.1
  identity      ${identity}
  Temporal UI   ${devServer ? 'http://localhost:8233' : env.TEMPORAL_UI_URL}
  Temporal      ${address} (namespace ${env.TEMPORAL_NAMESPACE})
  compute nodes ${COMPUTE_HOSTS.join(', ')} (driver ${env.NOVAFLOW_DRIVER})
A process that dies is restarted (with backoff); Ctrl-C stops everything.
`);
}

/**
 * Keystone for the API: the embedded one (prepared and seeded on first start, supervised like the
 * rest), one named by KEYSTONE_URL, or none under noauth. Returns what the banner says about it.
 */
async function startIdentity(env: Env, dataDir: string, childEnv: NodeJS.ProcessEnv): Promise<string> {
  if (env.NOVAFLOW_AUTH === 'noauth') {
    return 'NONE: NOVAFLOW_AUTH=noauth, X-Auth-Token: <user>:<project> is trusted (development only)';
  }
  if (process.env.KEYSTONE_URL) {
    return `Keystone at ${env.KEYSTONE_URL} (service user ${env.NOVAFLOW_SERVICE_USER}, NOVAFLOW_SERVICE_PASSWORD)`;
  }
  const port = Number(process.env.KEYSTONE_PORT ?? 5000);
  console.log('starting Keystone (SQLite in .data/keystone/) ...');
  const home = await prepareKeystone(path.join(dataDir, 'keystone'), port);
  await supervisor.add(
    'keystone',
    async () => (await startKeystone(home, path.join(dataDir, 'keystone.log'))).process,
  );
  const apiUrl = (env.NOVAFLOW_PUBLIC_URL ?? `http://127.0.0.1:${env.NOVAFLOW_API_PORT}`).replace(/\/$/, '');
  const services = loadExtensions(env.NOVAFLOW_EXTENSIONS).api.services.map((s) => ({
    type: s.type,
    name: s.name,
    url: `${apiUrl}${s.path}`,
  }));
  await seedKeystone(home, `${apiUrl}/v2.1`, services);
  const clouds = path.join(dataDir, 'clouds.yaml');
  writeCloudsYaml(clouds, home);
  Object.assign(childEnv, { KEYSTONE_URL: home.url, NOVAFLOW_SERVICE_PASSWORD: home.secrets.service });
  return `Keystone ${home.url} — try: OS_CLIENT_CONFIG_FILE=${path.relative(process.cwd(), clouds)} openstack --os-cloud novaflow server list
                (clouds novaflow = demo member, novaflow-reader, novaflow-admin)`;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void stop(0));
main().catch((err) => {
  console.error(err);
  void stop(1);
});
