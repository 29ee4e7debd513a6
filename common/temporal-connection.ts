import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

/**
 * How every novaflow process reaches Temporal, read by Temporal's own environment configuration:
 * `TEMPORAL_ADDRESS`, `TEMPORAL_API_KEY` (Temporal Cloud and servers that take API keys), TLS and
 * mTLS (`TEMPORAL_TLS=true`, `TEMPORAL_TLS_SERVER_CA_CERT_PATH`, `TEMPORAL_TLS_CLIENT_CERT_PATH`,
 * `TEMPORAL_TLS_CLIENT_KEY_PATH`, `TEMPORAL_TLS_SERVER_NAME`, or their `_DATA` forms), gRPC metadata
 * (`TEMPORAL_GRPC_META_<NAME>`), or a profile of a TOML file (`TEMPORAL_CONFIG_FILE`,
 * `TEMPORAL_PROFILE`) — the same settings the `temporal` CLI reads. Without any, `address` (the
 * dev server on localhost) in plain text. `override` names the server whatever the settings say (a
 * script that talks to the server it just started).
 */
export function temporalConnectionOptions(
  address: string,
  source: NodeJS.ProcessEnv = process.env,
  override?: string,
): NativeConnectionOptions {
  const env = Object.fromEntries(
    Object.entries(source).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
  const { connectionOptions } = loadClientConnectConfig({ overrideEnvVars: env });
  return { ...connectionOptions, address: override ?? connectionOptions.address ?? address };
}
