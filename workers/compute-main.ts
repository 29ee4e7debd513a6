import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadEnv } from '../config/env';
import { logger } from '../common/observability/log';
import { connectWorkerProcess, probes, runAsBuildWorker } from './connect';
import { createDriver } from '../drivers/index';
import { loadWorkerExtensions } from '../extensions/registry';
import { createComputeNode } from './compute';

/**
 * Entry of a compute-node process: `--host NAME --driver fake` (flags win over the environment). With
 * `--fleet N` it is a fleet: N fake hosts `NAME-0001`..`NAME-N` served by one worker on one task
 * queue, with one heartbeat for all of them (the compute service `NAME`).
 */
async function main() {
  const env = loadEnv();
  runAsBuildWorker(env);
  const { values } = parseArgs({
    options: {
      host: { type: 'string' },
      driver: { type: 'string' },
      az: { type: 'string' },
      fleet: { type: 'string' },
    },
  });
  const host = values.host ?? env.NOVAFLOW_HOST;
  const driverName = values.driver ?? env.NOVAFLOW_DRIVER;
  const fleetSize = values.fleet === undefined ? env.NOVAFLOW_FLEET_HOSTS : Number(values.fleet);
  if (!Number.isInteger(fleetSize) || fleetSize < 0)
    throw new Error(`--fleet wants a host count, not ${values.fleet}`);
  if (fleetSize > 0 && !driverName.startsWith('fake'))
    throw new Error(`a fleet serves fake hosts only (driver ${driverName} measures this one machine)`);
  const makeDriver = () =>
    createDriver(driverName, {
      fake: {
        inventory: {
          vcpus: env.NOVAFLOW_FAKE_VCPUS,
          ram: env.NOVAFLOW_FAKE_RAM_MB,
          disk: env.NOVAFLOW_FAKE_DISK_GB,
        },
        spawnLatencyMs: env.NOVAFLOW_FAKE_SPAWN_MS,
      },
      qemu: {
        stateDir: env.NOVAFLOW_QEMU_STATE ?? path.resolve('.data', 'qemu', host),
        imageDir: env.NOVAFLOW_QEMU_IMAGES ?? path.resolve(__dirname, '..', '.qemu', 'images'),
        // Where the images API keeps uploads: on one machine the same folder, on several a shared volume.
        imageStores: [env.NOVAFLOW_IMAGE_STORE ?? path.resolve('.data', 'images')],
        accel: env.NOVAFLOW_QEMU_ACCEL,
      },
    });
  const ext = loadWorkerExtensions(env.NOVAFLOW_EXTENSIONS);
  const { connection, client, tracing, plugins } = await connectWorkerProcess(env, host);
  const width = Math.max(4, String(fleetSize).length);
  const hosts = (
    fleetSize > 0
      ? Array.from({ length: fleetSize }, (_, i) => `${host}-${String(i + 1).padStart(width, '0')}`)
      : [host]
  ).map((name) => {
    const driver = makeDriver();
    return { host: name, driver, extraActivities: ext.computeActivities({ driver, host: name }) };
  });
  const node = await createComputeNode({
    connection,
    client,
    namespace: env.TEMPORAL_NAMESPACE,
    ...(fleetSize > 0 ? { fleet: { service: host, hosts } } : hosts[0]),
    availabilityZone: values.az ?? env.NOVAFLOW_AZ,
    heartbeatMs: env.NOVAFLOW_HEARTBEAT_MS,
    syncMs: env.NOVAFLOW_SYNC_MS,
    tuning: { plugins },
  });
  const health = await probes(env, client, () => [node.worker]);
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      health?.close();
      node.shutdown();
    });
  logger('compute').info(
    { host, driver: driverName, hosts: hosts.length, task_queue: node.worker.options.taskQueue },
    fleetSize > 0 ? 'compute fleet up' : 'compute node up',
  );
  try {
    await node.run();
  } finally {
    // Instances that are processes of this node must not outlive it; QEMU's machines do, for its next start.
    for (const h of hosts) await h.driver.close?.();
  }
  await tracing?.shutdown();
  await connection.close();
}

main().catch((err) => {
  logger('compute').fatal({ err }, 'compute node failed');
  process.exit(1);
});
