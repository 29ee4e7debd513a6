import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadHostStates } from '../entities/host/client';
import type { HostState } from '../entities/host/types';
import { jemallocEnv, WORKER_NODE_FLAGS } from '../scripts/allocator';
import { stopProcess } from '../scripts/stop-process';
import {
  freePort,
  registerSearchAttributes,
  ROOT,
  startDevServer,
  type DevServer,
} from '../scripts/temporal';

/** Namespace the bench runs in: the dev server's own, so nothing has to be created. */
export const BENCH_NAMESPACE = 'default';

/** One process of the stack whose CPU time and peak memory the bench reports. */
export interface BenchProcess {
  name: string;
  pid: number;
}

export interface BenchStack {
  address: string;
  apiUrl: string;
  client: Client;
  hosts: string[];
  processes: BenchProcess[];
  /** Host entity states, queried (strongly consistent). */
  hostStates(): Promise<HostState[]>;
  /** Stops every child and the dev server; safe to call more than once. */
  stop(): Promise<void>;
}

export interface BenchStackOptions {
  dir: string;
  hosts: string[];
  log: (line: string) => void;
  /** Dev server dynamic config beyond the defaults (experiments). */
  dynamicConfig?: string[];
  /** A compute node with the qemu driver: its host name, zone and state directory (real VMs). */
  qemu?: { host: string; zone: string; stateDir: string };
  /**
   * A fleet process: `hosts` fake hosts `<service>-0001`.. on one worker and heartbeat, each the size
   * of a typical compute host (16 vCPUs, 32 GiB, 500 GB) rather than the pipeline stack's huge ones.
   */
  fleet?: { service: string; hosts: number };
  /** Largest `max_count` the API accepts (default 1000). */
  maxCount?: number;
}

/** Hosts big enough that capacity never limits a benchmark: it measures the pipeline, not the filter. */
const HOST_CAPACITY = { vcpus: 100_000, ramMb: 100_000_000, diskGb: 10_000_000 };

const children: ChildProcess[] = [];
let devServer: DevServer | undefined;

/** Kills what the bench started, also when it dies half way (error, Ctrl-C). */
async function killAll(): Promise<void> {
  await Promise.all(children.map((proc) => stopProcess(proc, 5000)));
  children.length = 0;
  await devServer?.stop('SIGTERM');
  devServer = undefined;
}

let exiting = false;
/** Set while a stack stops on purpose: its children's exits are expected then. */
let stopping = false;
/** Set when a child dies while the bench still needs it, so waits fail at once instead of timing out. */
let childFailure: string | undefined;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (exiting) return;
    exiting = true;
    console.error(`\nbench: ${sig}, stopping the stack`);
    void killAll().finally(() => process.exit(130));
  });
}
process.on('exit', () => {
  // Last resort: never leave a child running behind a crashed bench.
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  devServer?.process.kill('SIGKILL');
});

/**
 * Compiles the product into `dir` as the image does (tsconfig.build.json): the bench's processes run
 * that JavaScript, not TypeScript through tsx, whose in-process compiler and source maps add ~40 MB to
 * each process's RSS and are not what a deployment runs.
 */
function compile(dir: string): string {
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', dir],
    { stdio: 'inherit' },
  );
  return dir;
}

/** Runs `script` (a TypeScript path in the repository) from the compiled JavaScript in `dist`. */
function runChild(
  dist: string,
  name: string,
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  nodeFlags: string[] = [],
) {
  const out = fs.openSync(logFile, 'a');
  // NOVAFLOW_BENCH_CPU_PROFILE=control,api: those processes write a V8 CPU profile into the run's folder.
  const profiled = (process.env.NOVAFLOW_BENCH_CPU_PROFILE ?? '').split(',').includes(name);
  const prof = profiled ? ['--cpu-prof', '--cpu-prof-dir', path.dirname(logFile)] : [];
  const entry = path.join(dist, script.replace(/\.ts$/, '.js'));
  const proc = spawn(process.execPath, [...nodeFlags, ...prof, entry, ...args], {
    env,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  children.push(proc);
  proc.on('exit', (code, signal) => {
    if (exiting || stopping) return;
    childFailure = `${name} exited (${signal ?? code}); see ${logFile}`;
    // Without one of its processes the stack measures nothing true, and waits on workflows that
    // process served would hang: stop everything and fail.
    console.error(`bench: ${childFailure}; stopping the stack`);
    exiting = true;
    void killAll().finally(() => process.exit(1));
  });
  return { name, pid: proc.pid! };
}

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (childFailure) throw new Error(`bench: ${childFailure}`);
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The product stack as separate processes, like `npm start`: a fresh dev server on its own ports and
 * SQLite file, the admission and control workers, one compute node per host (fake driver, no spawn latency) and the
 * API. Separate processes so each one's peak RSS and CPU time can be read from /proc.
 */
export async function startBenchStack(opts: BenchStackOptions): Promise<BenchStack> {
  stopping = false;
  fs.rmSync(opts.dir, { recursive: true, force: true });
  fs.mkdirSync(opts.dir, { recursive: true });
  opts.log('starting the Temporal dev server ...');
  devServer = await startDevServer({
    port: await freePort(),
    dbFile: path.join(opts.dir, 'temporal.db'),
    logFile: path.join(opts.dir, 'temporal.log'),
    dynamicConfig: opts.dynamicConfig,
  });
  const address = devServer.address;
  await registerSearchAttributes(address, BENCH_NAMESPACE);
  const processes: BenchProcess[] = [{ name: 'temporal', pid: devServer.process.pid! }];
  // Workers load the workflow code bundled once, as the image's do, rather than each bundling at start.
  const bundles = path.join(opts.dir, 'workflow-bundles');
  execFileSync(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'scripts', 'bundle-workflows.ts'), bundles],
    {
      stdio: 'ignore',
    },
  );
  opts.log('compiling the product as the image does ...');
  const dist = compile(path.join(opts.dir, 'dist'));
  const apiPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: BENCH_NAMESPACE,
    NOVAFLOW_API_HOST: '127.0.0.1',
    NOVAFLOW_API_PORT: String(apiPort),
    NOVAFLOW_FAKE_SPAWN_MS: '0',
    NOVAFLOW_FAKE_VCPUS: String(HOST_CAPACITY.vcpus),
    NOVAFLOW_FAKE_RAM_MB: String(HOST_CAPACITY.ramMb),
    NOVAFLOW_FAKE_DISK_GB: String(HOST_CAPACITY.diskGb),
    NOVAFLOW_MAX_COUNT: String(opts.maxCount ?? 1000),
    // The bench measures the pipeline; token validation is measured on its own (README, Identity).
    NOVAFLOW_AUTH: 'noauth',
    NOVAFLOW_WORKFLOW_BUNDLE_DIR: bundles,
  };
  opts.log('starting the control worker, compute nodes and API ...');
  for (const worker of ['admission', 'control'])
    processes.push(
      runChild(
        dist,
        worker,
        `workers/${worker}-main.ts`,
        [],
        { ...env, ...jemallocEnv() },
        path.join(opts.dir, `${worker}.log`),
        WORKER_NODE_FLAGS,
      ),
    );
  for (const host of opts.hosts) {
    const log = path.join(opts.dir, `${host}.log`);
    processes.push(
      runChild(dist, host, 'workers/compute-main.ts', ['--host', host], { ...env, NOVAFLOW_HOST: host }, log),
    );
  }
  const hosts = [...opts.hosts];
  if (opts.fleet) {
    const { service, hosts: n } = opts.fleet;
    processes.push(
      runChild(
        dist,
        service,
        'workers/compute-main.ts',
        ['--host', service, '--fleet', String(n)],
        { ...env, NOVAFLOW_FAKE_VCPUS: '16', NOVAFLOW_FAKE_RAM_MB: '32768', NOVAFLOW_FAKE_DISK_GB: '500' },
        path.join(opts.dir, `${service}.log`),
      ),
    );
    const width = Math.max(4, String(n).length);
    for (let i = 1; i <= n; i++) hosts.push(`${service}-${String(i).padStart(width, '0')}`);
  }
  if (opts.qemu) {
    const { host, zone, stateDir } = opts.qemu;
    processes.push(
      runChild(
        dist,
        host,
        'workers/compute-main.ts',
        ['--host', host, '--driver', 'qemu', '--az', zone],
        { ...env, NOVAFLOW_HOST: host, NOVAFLOW_QEMU_STATE: stateDir },
        path.join(opts.dir, `${host}.log`),
      ),
    );
    hosts.push(host);
  }
  processes.push(runChild(dist, 'api', 'api/main.ts', [], env, path.join(opts.dir, 'api.log')));

  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: BENCH_NAMESPACE });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const hostStates = () => loadHostStates(client, hosts);
  // A host state with an inventory means its node reported and the control worker runs workflows.
  await until('the compute hosts to register', 300_000, async () => {
    const states = await hostStates();
    return states.length === hosts.length && states.every((s) => s.inventory) ? true : undefined;
  });
  await until('the API', 60_000, async () => ((await fetch(`${apiUrl}/v2.1/`)).ok ? true : undefined));
  // The scheduler finds hosts through visibility: wait until it lists every one.
  await until('hosts in visibility', 120_000, async () => {
    let seen = 0;
    for await (const _ of client.workflow.list({
      query: `NovaKind = 'host' AND ExecutionStatus = 'Running'`,
    }))
      seen++;
    return seen >= hosts.length ? true : undefined;
  });

  return {
    address,
    apiUrl,
    client,
    hosts,
    processes,
    hostStates,
    async stop() {
      stopping = true;
      await connection.close().catch(() => undefined);
      await killAll();
    },
  };
}

/** Peak resident set (VmHWM) of a process in MB, or null when it is gone or not on Linux. */
export function peakRssMb(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/**
 * Resets a process's peak RSS (VmHWM) to its RSS now (Linux's clear_refs), so the next read is the
 * peak of what ran since; false where that cannot be done (then the peak stays the lifetime one).
 */
export function resetPeakRss(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** CPU seconds (user + system) a process has used so far, or null when it cannot be read. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces: utime is 14th, stime 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}
