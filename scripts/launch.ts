import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadEnv, type Env } from '../config/env';
import { Supervisor } from './supervisor';
import { registerSearchAttributes, ROOT, startDevServer, type DevServer } from './temporal';
import { prepareKeystone, startKeystone } from './keystone';
import { seedKeystone, writeCloudsYaml } from './keystone-seed';
import { loadExtensions } from '../extensions/registry';
import { jemallocEnv, WORKER_NODE_FLAGS } from './allocator';

/**
 * Launches novaflow's processes on one machine under a supervisor: `npm start` (scripts/start.ts) with
 * the embedded dev server, one of each worker and two compute nodes; `npm run cluster`
 * (scripts/cluster.ts) on a Temporal cluster with replicas of each. Keystone on SQLite under
 * .data/keystone/ (unless KEYSTONE_URL names one to use, or NOVAFLOW_AUTH=noauth). Each process is
 * restarted by the supervisor when it dies; a second start on the same .data/ resumes every
 * unfinished workflow.
 */
// A driver that runs real machines (qemu, process) reports this machine's whole inventory: one node
// per machine, or two nodes would offer the same CPUs and RAM twice.
const REAL_DRIVER = ['qemu', 'process'].includes(process.env.NOVAFLOW_DRIVER ?? '');
const DEFAULT_HOSTS = (
  process.env.NOVAFLOW_COMPUTE_HOSTS ?? (REAL_DRIVER ? 'compute-1' : 'compute-1,compute-2')
)
  .split(',')
  .filter(Boolean);

/** What to launch. */
export interface LaunchOptions {
  /** Starts the Temporal server under the supervisor and answers its address; default the dev server. */
  temporal?: (supervisor: Supervisor, dataDir: string) => Promise<{ address: string; ui: string }>;
  /** Replicas of each process (default one each). */
  apis?: number;
  admission?: number;
  control?: number;
  computeHosts?: string[];
  /** First port of the workers' probes and /metrics, one per worker process (default: none). */
  healthPortBase?: number;
  /** What the banner calls the stack. */
  title?: string;
}

let devServer: DevServer | undefined;
let stopping = false;
export const supervisor = new Supervisor((line) => console.error(`supervisor | ${line}`));

/** Spawns one of the stack's Node processes, its output prefixed with its name. */
function spawnNode(
  name: string,
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  nodeFlags: string[],
): ChildProcess {
  const proc = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', path.join(ROOT, script), ...args], {
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

function run(
  name: string,
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  nodeFlags: string[] = [],
): Promise<void> {
  return supervisor.add(name, () => spawnNode(name, script, args, env, nodeFlags));
}

export async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping novaflow ...');
  await supervisor.stop();
  process.exit(code);
}

/** Starts the stack and keeps it running until Ctrl-C (or SIGTERM). */
export function launchMain(opts: LaunchOptions = {}): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void stop(0));
  launch(opts).catch((err) => {
    console.error(err);
    void stop(1);
  });
}

async function launch(opts: LaunchOptions) {
  const env = loadEnv();
  let address = process.env.TEMPORAL_ADDRESS;
  let ui = env.TEMPORAL_UI_URL;
  const dataDir = path.resolve(process.env.NOVAFLOW_DATA_DIR ?? path.join(ROOT, '.data'));
  fs.mkdirSync(dataDir, { recursive: true });
  if (opts.temporal) {
    ({ address, ui } = await opts.temporal(supervisor, dataDir));
  } else if (!address) {
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
    ui = 'http://localhost:8233';
  }
  await registerSearchAttributes(address, env.TEMPORAL_NAMESPACE);
  const childEnv: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: address };
  const identity = await startIdentity(env, dataDir, childEnv);
  const hosts = opts.computeHosts ?? DEFAULT_HOSTS;
  // Several replicas of a kind are named kind-1, kind-2 ...; a single one keeps its plain name.
  const names = (kind: string, n: number) =>
    n === 1 ? [kind] : Array.from({ length: n }, (_, i) => `${kind}-${i + 1}`);
  let healthPort = opts.healthPortBase;
  const workerEnv = () => ({
    ...childEnv,
    ...(healthPort !== undefined ? { NOVAFLOW_HEALTH_PORT: String(healthPort++) } : {}),
  });
  const probes: string[] = [];
  const worker = async (
    name: string,
    script: string,
    args: string[] = [],
    extra: NodeJS.ProcessEnv = {},
    nodeFlags: string[] = [],
  ) => {
    const e = workerEnv();
    if (e.NOVAFLOW_HEALTH_PORT) probes.push(`${name} :${e.NOVAFLOW_HEALTH_PORT}`);
    await run(name, script, args, { ...e, ...extra }, nodeFlags);
  };
  for (const kind of ['admission', 'control'] as const)
    for (const name of names(kind, opts[kind] ?? 1))
      await worker(name, `workers/${kind}-main.ts`, [], jemallocEnv(), WORKER_NODE_FLAGS);
  for (const host of hosts) await worker(host, 'workers/compute-main.ts', ['--host', host]);
  const apiPorts = Array.from({ length: opts.apis ?? 1 }, (_, i) => env.NOVAFLOW_API_PORT + i);
  const apiNames = names('api', apiPorts.length);
  for (const [i, port] of apiPorts.entries())
    await run(apiNames[i], 'api/main.ts', [], { ...childEnv, NOVAFLOW_API_PORT: String(port) });
  console.log(`
${opts.title ?? 'novaflow'} is starting:
  Nova API      ${apiPorts.map((p) => `http://localhost:${p}/v2.1`).join(', ')}
  identity      ${identity}
  Temporal UI   ${ui}
  Temporal      ${address} (namespace ${env.TEMPORAL_NAMESPACE})
  compute nodes ${hosts.join(', ')} (driver ${env.NOVAFLOW_DRIVER})
  metrics       ${apiPorts.map((p) => `:${p}/metrics`).join(', ')}${probes.length ? `; workers' /metrics on ${probes.join(', ')}` : ''}
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
