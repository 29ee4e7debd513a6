import { Client, Connection } from '@temporalio/client';
import { loadEnv, type Env } from '../config/env';
import { loadExtensions } from '../extensions/registry';
import { createApp } from './app';
import { KeystoneIdentity } from './identity/keystone';
import { noAuth } from './identity/noauth';
import type { IdentityProvider } from './identity/types';
import { readPolicyFile } from './policy/enforce';
import { initLogging, logger } from '../common/observability/log';
import { startTracing } from '../common/observability/tracing';
import { temporalConnectionOptions } from '../common/temporal-connection';

const log = logger('api');

function identityOf(env: Env): IdentityProvider {
  if (env.NOVAFLOW_AUTH === 'noauth') {
    log.warn(
      '*** NOVAFLOW_AUTH=noauth: tokens are NOT validated; any caller may claim any identity, ' +
        'and "admin:<project>" is an admin. Development only. ***',
    );
    return noAuth;
  }
  if (!env.NOVAFLOW_SERVICE_PASSWORD) {
    throw new Error('novaflow: NOVAFLOW_SERVICE_PASSWORD is required to validate tokens with Keystone');
  }
  return new KeystoneIdentity({
    url: env.KEYSTONE_URL,
    service: {
      user: env.NOVAFLOW_SERVICE_USER,
      password: env.NOVAFLOW_SERVICE_PASSWORD,
      project: env.NOVAFLOW_SERVICE_PROJECT,
    },
    cacheSeconds: env.NOVAFLOW_TOKEN_CACHE_SECONDS,
  });
}

/** Entry of the API process. */
async function main() {
  const env = loadEnv();
  initLogging('api');
  const tracing = startTracing('api');
  const ext = loadExtensions(env.NOVAFLOW_EXTENSIONS);
  const identity = identityOf(env);
  const policyOverrides = env.NOVAFLOW_POLICY_FILE ? readPolicyFile(env.NOVAFLOW_POLICY_FILE) : undefined;
  const connection = await Connection.connect(temporalConnectionOptions(env.TEMPORAL_ADDRESS));
  const client = new Client({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    // The request's span continues into every workflow it starts, signals or updates.
    ...(tracing ? { interceptors: tracing.clientInterceptors } : {}),
  });
  const app = createApp(
    {
      client,
      namespace: env.TEMPORAL_NAMESPACE,
      uiUrl: env.TEMPORAL_UI_URL,
      maxCount: env.NOVAFLOW_MAX_COUNT,
      publicUrl: env.NOVAFLOW_PUBLIC_URL,
      hostDownAfterMs: env.NOVAFLOW_HOST_DOWN_AFTER_MS,
      identity,
      policyOverrides,
      tracer: tracing?.tracer,
    },
    ext.api,
  );
  const server = app.listen(env.NOVAFLOW_API_PORT, env.NOVAFLOW_API_HOST, () => {
    log.info(
      {
        url: `http://${env.NOVAFLOW_API_HOST}:${env.NOVAFLOW_API_PORT}/v2.1`,
        identity: identity.description,
        tracing: Boolean(tracing),
      },
      'Nova API listening',
    );
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () =>
      server.close(() =>
        connection
          .close()
          .then(() => tracing?.shutdown())
          .then(() => process.exit(0)),
      ),
    );
  }
}

main().catch((err) => {
  log.fatal({ err }, 'API failed');
  process.exit(1);
});
