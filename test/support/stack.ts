import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type RuntimeOptions } from '@temporalio/worker';
import type { Tracing } from '../../common/observability/tracing';
import type { Worker } from '@temporalio/worker';
import { createApp } from '../../api/app';
import { noAuth } from '../../api/identity/noauth';
import type { IdentityProvider } from '../../api/identity/types';
import { toCreateRequest } from '../../api/usecases/servers';
import type { CreateServerBody } from '../../api/schemas/create-server';
import type { CreateRequest } from '../../entities/reservation/types';
import { composeExtensions } from '../../extensions/compose';
import { BUILTIN_EXTENSIONS, withBuiltins } from '../../extensions/registry';
import type { NovaExtension } from '../../extensions/types';
import type { SchedulerConfig } from '../../activities/control';
import type { VirtDriver } from '../../drivers/driver';
import type { FakeDriverOptions } from '../../drivers/fake';
import { FakeDriver } from '../../drivers/fake';
import { createComputeNode, type ComputeNode } from '../../workers/compute';
import { createAdmissionWorker } from '../../workers/admission';
import { createControlWorker } from '../../workers/control';

let runtimeInstalled = false;
function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
}

/** Installs the Temporal runtime of this test file with options of its own (before any stack starts). */
export function installRuntime(options: RuntimeOptions): void {
  if (runtimeInstalled) throw new Error('the Temporal runtime of this test file is already installed');
  runtimeInstalled = true;
  Runtime.install(options);
}

/** Takes a namespace of the run's pool that no other test file holds (files may run in parallel). */
export function claimNamespace(): string {
  const dir = path.join(process.env.NOVAFLOW_TEST_DIR!, 'claims');
  for (let i = 1; i <= 60; i++) {
    const ns = `nf-test-${String(i).padStart(2, '0')}`;
    try {
      fs.writeFileSync(path.join(dir, ns), String(process.pid), { flag: 'wx' });
      return ns;
    } catch {
      continue;
    }
  }
  throw new Error('no free test namespace left in the pool');
}

export interface HostSpec {
  name: string;
  driver?: FakeDriverOptions;
  /** A ready driver to run this host with instead of a fake; the test owns it (and closes it). */
  driverInstance?: VirtDriver;
  availabilityZone?: string;
}

export interface StackOptions {
  hosts: HostSpec[];
  scheduler?: Partial<SchedulerConfig>;
  heartbeatMs?: number;
  /** Extensions in force (default: every built-in one). */
  extensions?: NovaExtension[];
  /** Who tokens stand for (default: noauth, `user:project` tokens). */
  identity?: IdentityProvider;
  /** Policy rules that override the defaults, as a policy file would. */
  policyOverrides?: Record<string, string>;
  maxCount?: number;
  /** Connect to this server instead of the run's shared one (tests that restart their own). */
  address?: string;
  namespace?: string;
  /** A workflow bundle of the test's own (for extensions outside the built-in bundle). */
  workflowBundlePath?: string;
  /** How long a reservation waits for the API's quota update before reserving itself. */
  admissionWaitMs?: number;
  /** Workflow tasks and activities the control worker runs at once (its default otherwise). */
  controlConcurrency?: number;
  /** Leave the control worker out: the test runs it in a process of its own (to kill it). */
  externalControl?: boolean;
  /** How often compute nodes compare their instances with their claims and power states. */
  syncMs?: number;
  /** Traces through this: the API's spans, the client's and workers' interceptors (the bundle must carry them). */
  tracing?: Tracing;
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface Stack {
  namespace: string;
  client: Client;
  url: string;
  drivers: Record<string, FakeDriver>;
  nodes: Record<string, ComputeNode>;
  api<T = any>(
    method: string,
    path: string,
    opts?: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<ApiResponse<T>>;
  /** Stops one compute node for real: its worker shuts down and its heartbeats stop. */
  stopNode(name: string): Promise<void>;
  startNode(spec: HostSpec): Promise<void>;
  /**
   * Starts a fleet: one compute node (`service`) serving every host of `hosts` on one worker and one
   * heartbeat, each host with a fake driver of its own (in `drivers`); stopped with `stopNode(service)`.
   */
  startFleet(service: string, hosts: HostSpec[]): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * The real stack in-process: admission and control workers, one compute node per host with a fake driver, and the
 * HTTP app on an ephemeral port, all against a real Temporal dev server.
 */
export async function startStack(opts: StackOptions): Promise<Stack> {
  quietRuntime();
  const address = opts.address ?? process.env.NOVAFLOW_TEST_TEMPORAL_ADDRESS!;
  const namespace = opts.namespace ?? claimNamespace();
  const connection = await NativeConnection.connect({ address });
  const clientConnection = await Connection.connect({ address });
  const client = new Client({
    connection: clientConnection,
    namespace,
    ...(opts.tracing ? { interceptors: opts.tracing.clientInterceptors } : {}),
  });
  const tuning = opts.tracing ? { plugins: [opts.tracing.workerPlugin()] } : undefined;
  const scheduler: SchedulerConfig = {
    ratios: { cpu: 1, ram: 1, disk: 1 },
    downAfterMs: 10_000,
    weigher: 'spread',
    ...opts.scheduler,
  };
  const heartbeatMs = opts.heartbeatMs ?? 1000;
  // Like the real processes: the API offers the configured extensions, workers carry every built-in.
  const apiExt = composeExtensions(opts.extensions ?? BUILTIN_EXTENSIONS);
  const ext = composeExtensions(withBuiltins(opts.extensions ?? []));
  const control: Worker | undefined = opts.externalControl
    ? undefined
    : await createControlWorker({
        connection,
        client,
        namespace,
        scheduler,
        workflowBundle: { codePath: opts.workflowBundlePath ?? process.env.NOVAFLOW_TEST_BUNDLE! },
        extraActivities: ext.controlActivities({ client }),
        filterFactories: ext.filterFactories,
        admissionWaitMs: opts.admissionWaitMs,
        concurrency: opts.controlConcurrency,
        tuning,
      });
  const admission: Worker = await createAdmissionWorker({
    connection,
    namespace,
    workflowBundle: { codePath: opts.workflowBundlePath ?? process.env.NOVAFLOW_TEST_BUNDLE! },
    tuning,
  });
  const running: Promise<void>[] = [control?.run() ?? Promise.resolve(), admission.run()];
  const drivers: Record<string, FakeDriver> = {};
  const nodes: Record<string, ComputeNode> = {};
  const nodeRuns: Record<string, Promise<void>> = {};
  const startNode = async (spec: HostSpec) => {
    // Only fakes go into `drivers`, so tests keep their typed handle on fault injection.
    const driver: VirtDriver = spec.driverInstance ?? (drivers[spec.name] ??= new FakeDriver(spec.driver));
    const node = await createComputeNode({
      connection,
      client,
      namespace,
      host: spec.name,
      driver,
      availabilityZone: spec.availabilityZone ?? 'nova',
      heartbeatMs,
      syncMs: opts.syncMs,
      extraActivities: ext.computeActivities({ driver, host: spec.name }),
      tuning,
    });
    nodes[spec.name] = node;
    await node.report();
    nodeRuns[spec.name] = node.run();
  };
  const startFleet = async (service: string, specs: HostSpec[]) => {
    const hosts = specs.map((spec) => {
      const driver = (drivers[spec.name] = new FakeDriver(spec.driver));
      return { host: spec.name, driver, extraActivities: ext.computeActivities({ driver, host: spec.name }) };
    });
    const node = await createComputeNode({
      connection,
      client,
      namespace,
      fleet: { service, hosts },
      availabilityZone: 'nova',
      heartbeatMs,
      syncMs: opts.syncMs,
      tuning,
    });
    nodes[service] = node;
    await node.report();
    nodeRuns[service] = node.run();
  };
  await Promise.all(opts.hosts.map(startNode));
  // Hosts are found through visibility: wait until every one is listed before the first create.
  const deadline = Date.now() + 10_000;
  for (;;) {
    let seen = 0;
    for await (const _ of client.workflow.list({
      query: `NovaKind = 'host' AND ExecutionStatus = 'Running'`,
    }))
      seen++;
    if (seen >= opts.hosts.length || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  const app = createApp(
    {
      client,
      namespace,
      uiUrl: 'http://localhost:8233',
      maxCount: opts.maxCount ?? 1000,
      hostDownAfterMs: scheduler.downAfterMs,
      identity: opts.identity ?? noAuth,
      policyOverrides: opts.policyOverrides,
      tracer: opts.tracing?.tracer,
    },
    apiExt.api,
  );
  const server: http.Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  return {
    namespace,
    client,
    url,
    drivers,
    nodes,
    async api(method, p, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      if (o.token !== null) headers['X-Auth-Token'] = o.token ?? 'alice:demo';
      let body: string | undefined = o.raw;
      if (o.body !== undefined) body = JSON.stringify(o.body);
      if (body !== undefined) headers['Content-Type'] ??= 'application/json';
      const res = await fetch(url + p, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON: keep the text */
      }
      return { status: res.status, body: parsed as any, headers: res.headers };
    },
    async stopNode(name) {
      nodes[name].shutdown();
      await nodeRuns[name];
    },
    startNode,
    startFleet,
    async shutdown() {
      // A slow step names itself, so a stop that hangs says where.
      const step = async (what: string, done: Promise<unknown>) => {
        const warn = setTimeout(() => console.warn(`stack shutdown: still waiting for ${what}`), 20_000);
        await done;
        clearTimeout(warn);
      };
      const closed = new Promise((r) => server.close(r));
      server.closeAllConnections();
      await step('the HTTP server', closed);
      for (const n of Object.values(nodes)) {
        try {
          n.shutdown();
        } catch {
          // A node the test stopped already.
        }
      }
      control?.shutdown();
      // The control worker's last tasks may still wait on a quota entity: admission stops after it.
      await step('the control worker', Promise.allSettled([running[0]]));
      await step('the compute nodes', Promise.allSettled(Object.values(nodeRuns)));
      admission.shutdown();
      await step('the admission worker', Promise.allSettled(running));
      await clientConnection.close();
      await connection.close();
    },
  };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Waits until a server has one of the statuses and returns its view. */
export async function waitForStatus(
  stack: Stack,
  id: string,
  statuses: string[],
  token?: string,
  timeoutMs = 30_000,
) {
  return eventually(
    async () => {
      const r = await stack.api('GET', `/v2.1/servers/${id}`, { token });
      return r.status === 200 && statuses.includes(r.body.server.status) ? r.body.server : undefined;
    },
    timeoutMs,
    `server ${id} to reach ${statuses.join('/')}`,
  );
}

/**
 * A create request of one server set exactly as the API builds it, for tests that start a reservation
 * themselves (to stand where the API died, say).
 */
export function apiCreateRequest(
  stack: Pick<Stack, 'client' | 'namespace'>,
  caller: { userId: string; projectId: string; requestId: string },
  server: CreateServerBody['server'],
): CreateRequest {
  return toCreateRequest(
    { client: stack.client, namespace: stack.namespace, uiUrl: '', maxCount: 10 },
    { ...caller, roles: ['member', 'reader'], isAdmin: false },
    { server },
    ['os-multiple-create'],
    {},
  );
}
