import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, type Worker, type WorkerPlugin } from '@temporalio/worker';
import type { ComposedExtensions } from '../extensions/compose';
import { builtinWorkflowModules, builtinWorkflowTypes } from '../extensions/registry';
import { prebuiltBundle, type WorkflowCodeOptions } from './workflow-code';
import type http from 'node:http';
import type { Env } from '../config/env';
import { initLogging, logger, temporalLogger } from '../common/observability/log';
import { freePort, setSdkMetricsUrl } from '../common/observability/metrics';
import { startTracing, type Tracing } from '../common/observability/tracing';
import { temporalConnectionOptions } from '../common/temporal-connection';
import { serveHealth, type WorkerLike } from './health';

const log = logger('process');

/** A worker process's connections and what it observes itself with. */
export interface WorkerProcess {
  connection: NativeConnection;
  /** A client for the activities to use (its calls continue the activity's trace). */
  client: Client;
  tracing?: Tracing;
  /** Plugins every worker of the process takes (tracing's interceptors and span sink). */
  plugins: WorkerPlugin[];
}

/**
 * Starts a worker process (`service` names it in logs, metrics and traces): JSON logs, the Temporal
 * SDK's runtime logging through them and exporting its metrics to /metrics (when the process serves
 * probes), tracing when configured, and its Temporal connections.
 */
export async function connectWorkerProcess(env: Env, service: string): Promise<WorkerProcess> {
  initLogging(service);
  const tracing = startTracing(service);
  let metrics: { prometheus: { bindAddress: string } } | undefined;
  if (env.NOVAFLOW_HEALTH_PORT !== undefined) {
    const port = await freePort();
    metrics = { prometheus: { bindAddress: `127.0.0.1:${port}` } };
    setSdkMetricsUrl(`http://127.0.0.1:${port}/metrics`);
  }
  Runtime.install({
    logger: temporalLogger('WARN'),
    ...(metrics ? { telemetryOptions: { metrics: { ...metrics, globalTags: { service } } } } : {}),
  });
  const options = temporalConnectionOptions(env.TEMPORAL_ADDRESS);
  const connection = await NativeConnection.connect(options);
  const client = new Client({
    connection: await Connection.connect(options),
    namespace: env.TEMPORAL_NAMESPACE,
    ...(tracing ? { interceptors: tracing.clientInterceptors } : {}),
  });
  log.info({ temporal: options.address, tls: Boolean(options.tls), tracing: Boolean(tracing) }, 'connected');
  return { connection, client, tracing, plugins: tracing ? [tracing.workerPlugin()] : [] };
}

/**
 * Lowers this process's CPU priority: the build pipeline (control worker, compute nodes) runs behind
 * admission (API, admission worker, Temporal), so a burst of creates is admitted at once and built
 * with the CPU left over, instead of every caller queueing behind earlier creates' builds.
 */
export function runAsBuildWorker(env: Env): void {
  if (env.NOVAFLOW_BUILD_NICE <= 0) return;
  try {
    os.setPriority(Math.max(os.getPriority(), env.NOVAFLOW_BUILD_NICE));
  } catch (err) {
    log.warn({ err }, 'could not lower the process priority');
  }
}

/**
 * The workflow code of a worker that runs workflows: the built-in extensions' and the configured
 * ones', from the prebuilt bundle when NOVAFLOW_WORKFLOW_BUNDLE_DIR names one (the traced one when
 * this process traces).
 */
export function processWorkflowCode(
  env: Env,
  ext: ComposedExtensions,
  proc: WorkerProcess,
): WorkflowCodeOptions {
  return {
    workflowModules: [...new Set([...builtinWorkflowModules(), ...ext.workflowModules])],
    workflowTypes: [...new Set([...builtinWorkflowTypes(), ...ext.workflowTypes])],
    workflowBundle: prebuiltBundle(env.NOVAFLOW_WORKFLOW_BUNDLE_DIR, Boolean(proc.tracing)),
  };
}

/**
 * Runs a process's one worker until SIGINT or SIGTERM, its probes beside it; then flushes the
 * traces and closes the connection.
 */
export async function serveWorker(
  env: Env,
  proc: WorkerProcess,
  worker: Worker,
  service: string,
  taskQueue: string,
): Promise<void> {
  const health = await probes(env, proc.client, () => [worker]);
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      health?.close();
      worker.shutdown();
    });
  logger(service).info({ task_queue: taskQueue }, 'polling');
  await worker.run();
  await proc.tracing?.shutdown();
  await proc.connection.close();
}

/** The process's probes and metrics on NOVAFLOW_HEALTH_PORT, when it is set. */
export async function probes(
  env: Env,
  client: Client,
  workers: () => WorkerLike[],
): Promise<http.Server | undefined> {
  if (env.NOVAFLOW_HEALTH_PORT === undefined) return undefined;
  const server = await serveHealth({ port: env.NOVAFLOW_HEALTH_PORT, client, workers });
  log.info({ port: env.NOVAFLOW_HEALTH_PORT }, 'probes and metrics on /healthz, /readyz, /metrics');
  return server;
}
