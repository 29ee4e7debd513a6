import { loadEnv } from '../config/env';
import { registerSearchAttributes } from './temporal';

/** Registers novaflow's search attributes on the configured server and namespace (idempotent). */
async function main() {
  const env = loadEnv();
  await registerSearchAttributes(env.TEMPORAL_ADDRESS, env.TEMPORAL_NAMESPACE);
  console.log(`search attributes registered on ${env.TEMPORAL_ADDRESS} namespace ${env.TEMPORAL_NAMESPACE}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
