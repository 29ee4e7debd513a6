import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { Env } from '../config/env';

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
