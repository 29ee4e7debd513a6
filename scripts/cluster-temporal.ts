import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import { ROOT } from './temporal';
import { clusterLog as log, TEMPORAL_SERVER_VERSION } from './cluster-install';

/**
 * A real Temporal cluster on this machine, as `npm run cluster` runs it: PostgreSQL, its schemas, the
 * Temporal server (every service in one process), its namespace and the Temporal Web UI (the
 * binaries come from scripts/cluster-install.ts).
 */

export interface ClusterPorts {
  postgres: number;
  /** The frontend's gRPC port; history, matching and worker take the next ones. */
  frontend: number;
  ui: number;
}

export const DEFAULT_PORTS: ClusterPorts = { postgres: 15432, frontend: 7233, ui: 8233 };

/** PostgreSQL will not run as root: as root, its processes run as the `postgres` user the package made. */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

async function waitFor(what: string, ms: number, ready: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not come up within ${ms / 1000} s`);
}

/** Starts PostgreSQL on `dir` (initialised on first use: local trust, user `temporal`). */
export async function startPostgres(
  bin: string,
  dataDir: string,
  port: number,
  logFile: string,
): Promise<ChildProcess> {
  const dir = path.resolve(dataDir);
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) {
    fs.mkdirSync(dir, { recursive: true });
    if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
    fs.chmodSync(dir, 0o700);
    const [cmd, args] = asPostgres(path.join(bin, 'initdb'), [
      '-D',
      dir,
      '-U',
      'temporal',
      '--auth=trust',
      '--encoding=UTF8',
    ]);
    execFileSync(cmd, args, { stdio: 'ignore' });
  }
  const out = fs.openSync(logFile, 'a');
  if (process.getuid?.() === 0) fs.chownSync(logFile, Number(execFileSync('id', ['-u', 'postgres'])), 0);
  const [cmd, args] = asPostgres(path.join(bin, 'postgres'), [
    '-D',
    dir,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'max_connections=200',
    '-c',
    'fsync=on',
  ]);
  const proc = spawn(cmd, args, { stdio: ['ignore', out, out] });
  await waitFor('PostgreSQL', 60_000, () => {
    try {
      execFileSync(path.join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)], {
        stdio: 'ignore',
      });
      return true;
    } catch {
      return proc.exitCode === null ? false : Promise.reject(new Error('PostgreSQL exited; see ' + logFile));
    }
  });
  return proc;
}

/**
 * Creates Temporal's two databases and brings their schemas to the server's version with its SQL tool
 * (the versioning tables at 0.0, then every versioned step the tool embeds). Done once per server
 * version: a marker names the version the schemas are at, and a newer server runs only its new steps.
 */
export function setupSchema(sql: string, port: number, marker: string): void {
  const at = fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8').trim() : undefined;
  if (at === TEMPORAL_SERVER_VERSION) return;
  for (const [db, schema] of [
    ['temporal', 'postgresql/v12/temporal'],
    ['temporal_visibility', 'postgresql/v12/visibility'],
  ]) {
    const base = [
      '--plugin',
      'postgres12',
      '--ep',
      '127.0.0.1',
      '-p',
      String(port),
      '-u',
      'temporal',
      '--db',
      db,
    ];
    const tool = (...args: string[]) => execFileSync(sql, [...base, ...args], { stdio: 'ignore' });
    if (at === undefined) {
      log(`creating database ${db} ...`);
      tool('create-database');
      tool('setup-schema', '-v', '0.0');
    }
    log(`updating the schema of ${db} (${schema}) ...`);
    tool('update-schema', '-s', schema);
  }
  fs.writeFileSync(marker, `${TEMPORAL_SERVER_VERSION}\n`);
}

/** Where the Temporal server serves its Prometheus metrics: the frontend's port plus 2000 (9233). */
export function serverMetricsPort(ports: ClusterPorts): number {
  return ports.frontend + 2000;
}

/** The server's configuration: PostgreSQL for history and visibility, every service on loopback. */
export function serverConfig(ports: ClusterPorts, logFile: string): string {
  const store = (db: string) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName: db,
      connectAddr: `127.0.0.1:${ports.postgres}`,
      connectProtocol: 'tcp',
      user: 'temporal',
      password: '',
      maxConns: 20,
      maxIdleConns: 20,
      maxConnLifetime: '1h',
    },
  });
  // Membership ports must fit PostgreSQL's SMALLINT (<= 32767): the cluster_membership table.
  const rpc = (offset: number) => ({
    rpc: {
      grpcPort: ports.frontend + offset,
      membershipPort: ports.frontend - 300 + offset,
      bindOnIP: '127.0.0.1',
      ...(offset === 0 ? { httpPort: ports.frontend + 10 } : {}),
    },
  });
  const config = {
    log: { stdout: false, level: 'warn', outputFile: logFile },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: 4,
      datastores: { default: store('temporal'), visibility: store('temporal_visibility') },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      // The server's own series (persistence latency, shard and task-queue health) for Prometheus.
      metrics: {
        prometheus: {
          framework: 'opentelemetry',
          timerType: 'histogram',
          listenAddress: `127.0.0.1:${serverMetricsPort(ports)}`,
        },
      },
    },
    services: { frontend: rpc(0), history: rpc(1), matching: rpc(2), worker: rpc(6) },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${ports.frontend}`,
          httpAddress: `127.0.0.1:${ports.frontend + 10}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    dynamicConfigClient: { filepath: path.join(ROOT, 'deploy', 'dynamicconfig.yaml'), pollInterval: '10s' },
  };
  return JSON.stringify(config, null, 2);
}

/** Starts the Temporal server and waits until its frontend answers. */
export async function startTemporalServer(
  server: string,
  configFile: string,
  address: string,
  logFile: string,
): Promise<ChildProcess> {
  const out = fs.openSync(logFile, 'a');
  const proc = spawn(server, ['--config-file', configFile, '--allow-no-auth', 'start'], {
    stdio: ['ignore', out, out],
  });
  await waitFor('the Temporal server', 120_000, async () => {
    if (proc.exitCode !== null) throw new Error(`the Temporal server exited; see ${logFile}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.withDeadline(Date.now() + 2000, () => conn.workflowService.getSystemInfo({}));
        return true;
      } finally {
        await conn.close();
      }
    } catch {
      return false;
    }
  });
  return proc;
}

/** Registers `namespace` unless it exists, and waits until the frontend serves it. */
export async function ensureNamespace(address: string, namespace: string): Promise<void> {
  const conn = await Connection.connect({ address });
  try {
    try {
      await conn.workflowService.describeNamespace({ namespace });
      return;
    } catch {
      log(`registering namespace ${namespace} ...`);
    }
    await conn.workflowService
      .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') })
      .catch((err: Error) => {
        if (!/already/i.test(err.message)) throw err;
      });
    await waitFor(`namespace ${namespace}`, 60_000, async () => {
      try {
        // Every service's namespace cache must know it (they refresh every ~10 s), not only the frontend.
        await conn.workflowService.describeNamespace({ namespace });
        await conn.operatorService.listSearchAttributes({ namespace });
        return true;
      } catch {
        return false;
      }
    });
  } finally {
    await conn.close();
  }
}

/** Starts the Web UI on `port`, talking to the frontend. */
export function startUi(
  ui: string,
  dir: string,
  frontend: string,
  port: number,
  logFile: string,
): ChildProcess {
  fs.mkdirSync(path.join(dir, 'config'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'config', 'development.yaml'),
    [
      `temporalGrpcAddress: ${frontend}`,
      'host: 0.0.0.0',
      `port: ${port}`,
      'enableUi: true',
      'defaultNamespace: default',
      'cors:',
      '  allowOrigins: []',
      '',
    ].join('\n'),
  );
  const out = fs.openSync(logFile, 'a');
  return spawn(ui, ['--root', dir, '--config', 'config', '--env', 'development', 'start'], {
    stdio: ['ignore', out, out],
  });
}

/** Everything this machine holds for the cluster (PostgreSQL's data and the server's config) lives here. */
export function clusterDataDir(dataDir: string): string {
  const dir = path.join(dataDir, 'cluster');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
