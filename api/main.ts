import { Client, Connection } from '@temporalio/client';
import { loadEnv } from '../config/env';
import { loadExtensions } from '../extensions/registry';
import { createApp } from './app';

/** Entry of the API process. */
async function main() {
  const env = loadEnv();
  const ext = loadExtensions(env.NOVAFLOW_EXTENSIONS);
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
  const app = createApp(
    {
      client,
      namespace: env.TEMPORAL_NAMESPACE,
      uiUrl: env.TEMPORAL_UI_URL,
      maxCount: env.NOVAFLOW_MAX_COUNT,
      publicUrl: env.NOVAFLOW_PUBLIC_URL,
      hostDownAfterMs: env.NOVAFLOW_HOST_DOWN_AFTER_MS,
    },
    ext.api,
  );
  const server = app.listen(env.NOVAFLOW_API_PORT, env.NOVAFLOW_API_HOST, () => {
    console.log(`[api] Nova API on http://${env.NOVAFLOW_API_HOST}:${env.NOVAFLOW_API_PORT}/v2.1`);
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => server.close(() => connection.close().then(() => process.exit(0))));
  }
}

main().catch((err) => {
  console.error('[api]', err);
  process.exit(1);
});
