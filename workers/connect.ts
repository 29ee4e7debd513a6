import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type http from 'node:http';
import type { Env } from '../config/env';
import { serveHealth, type WorkerLike } from './health';

/** A worker process's connections: the worker's native one and a client for the activities to use. */
export async function connectWorkerProcess(
  env: Env,
): Promise<{ connection: NativeConnection; client: Client }> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
  const client = new Client({
    connection: await Connection.connect({ address: env.TEMPORAL_ADDRESS }),
    namespace: env.TEMPORAL_NAMESPACE,
  });
  return { connection, client };
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
    console.warn(`could not lower the process priority: ${(err as Error).message}`);
  }
}

/** The process's probes on NOVAFLOW_HEALTH_PORT, when it is set. */
export async function probes(
  env: Env,
  client: Client,
  workers: () => WorkerLike[],
): Promise<http.Server | undefined> {
  if (env.NOVAFLOW_HEALTH_PORT === undefined) return undefined;
  const server = await serveHealth({ port: env.NOVAFLOW_HEALTH_PORT, client, workers });
  console.log(`probes on :${env.NOVAFLOW_HEALTH_PORT} (/healthz, /readyz)`);
  return server;
}
