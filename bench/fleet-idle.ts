import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { startDevServer, registerSearchAttributes, freePort } from '../scripts/temporal';
import { createAdmissionWorker } from '../workers/admission';
import { createControlWorker } from '../workers/control';
import { createComputeNode } from '../workers/compute';
import { FakeDriver } from '../drivers/fake';
import { workflowEntry } from '../extensions/bundle';
import { builtinWorkflowModules, builtinWorkflowTypes } from '../extensions/registry';
import { listHostStates, loadHostStates } from '../entities/host/client';

/**
 * `tsx bench/fleet-idle.ts HOSTS [POLLS] [HEARTBEAT_MS] [fleet]`: what an idle fleet costs — HOSTS fake
 * compute nodes in this one process (a Temporal worker each, POLLS activity pollers, a heartbeat every
 * HEARTBEAT_MS; with `fleet`, one worker and one heartbeat for all of them) beside the control and
 * admission workers (the host entities run on the latter), against a dev server of its own. Prints one JSON line: RSS
 * of this process, CPU of this process and of the Temporal server over 20 s once settled, and how
 * long one read of every host's state takes. The first measure of issue 16 (fleet scale); not yet a
 * scenario of `npm run bench`. NOVAFLOW_CONTROL_CACHE sets the control worker's workflow cache, as it
 * does for the control worker's own process.
 */
const N = Number(process.argv[2] ?? 100);
const POLLS = Number(process.argv[3] ?? 1);
const HEARTBEAT_MS = Number(process.argv[4] ?? 5000);
/** `fleet`: the hosts share one worker and one heartbeat (a fleet process) instead of a node each. */
const FLEET = process.argv[5] === 'fleet';
/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat. */
function cpu(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}
async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'novaflow-fleet-'));
  const server = await startDevServer({
    port: await freePort(),
    dbFile: path.join(dir, 't.db'),
    logFile: path.join(dir, 't.log'),
  });
  await registerSearchAttributes(server.address, 'default');
  const { code } = await bundleWorkflowCode({
    workflowsPath: workflowEntry(builtinWorkflowTypes()),
    workflowInterceptorModules: builtinWorkflowModules(),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never,
  });
  fs.writeFileSync(path.join(dir, 'b.js'), code);
  const connection = await NativeConnection.connect({ address: server.address });
  const client = new Client({
    connection: await Connection.connect({ address: server.address }),
    namespace: 'default',
  });
  const control = await createControlWorker({
    connection,
    client,
    namespace: 'default',
    scheduler: { ratios: { cpu: 16, ram: 1.5, disk: 1 }, downAfterMs: 20000, weigher: 'spread' },
    workflowBundle: { codePath: path.join(dir, 'b.js') },
    ...(process.env.NOVAFLOW_CONTROL_CACHE ? { cacheSize: Number(process.env.NOVAFLOW_CONTROL_CACHE) } : {}),
  });
  void control.run();
  // The host entities and the fleet's compute service run on the admission queue.
  const admission = await createAdmissionWorker({
    connection,
    namespace: 'default',
    workflowBundle: { codePath: path.join(dir, 'b.js') },
  });
  void admission.run();
  const rss0 = process.memoryUsage().rss;
  const t0 = Date.now();
  // One fleet node serving every host, or a node per host: the same options otherwise.
  const common = {
    connection,
    client,
    namespace: 'default',
    availabilityZone: 'nova',
    heartbeatMs: HEARTBEAT_MS,
    syncMs: 10000,
    tuning: { maxConcurrentActivityTaskPolls: POLLS },
  };
  const hosts = Array.from({ length: N }, (_, i) => ({ host: `fleet-${i}`, driver: new FakeDriver() }));
  const nodes = [];
  for (const which of FLEET ? [{ fleet: { service: 'fleet', hosts } }] : hosts) {
    const node = await createComputeNode({ ...common, ...which });
    nodes.push(node);
    void node.run();
  }
  const started = (Date.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 15000));
  const c0 = cpu(process.pid),
    s0 = cpu(server.process.pid!),
    w0 = Date.now();
  await new Promise((r) => setTimeout(r, 20000));
  const c1 = cpu(process.pid),
    s1 = cpu(server.process.pid!),
    w1 = Date.now();
  const secs = (w1 - w0) / 1000;
  const tl = Date.now();
  const states = await loadHostStates(client);
  const loadMs = Date.now() - tl;
  const tlist = Date.now();
  const listed = await listHostStates(client);
  const listMs = Date.now() - tlist;
  console.log(
    JSON.stringify({
      hosts: N,
      polls: POLLS,
      startSec: started,
      rssMB: Math.round(process.memoryUsage().rss / 1e6),
      rssDeltaMB: Math.round((process.memoryUsage().rss - rss0) / 1e6),
      processCpuPct: Math.round(((c1 - c0) / secs) * 100),
      serverCpuPct: Math.round(((s1 - s0) / secs) * 100),
      loadHostStatesMs: loadMs,
      hostsSeen: states.length,
      listHostStatesMs: listMs,
      hostsListed: listed.length,
      upListed: listed.filter((h) => Date.now() - h.lastHeartbeat < 20_000).length,
    }),
  );
  for (const n of nodes) n.shutdown();
  control.shutdown();
  admission.shutdown();
  await server.stop('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
