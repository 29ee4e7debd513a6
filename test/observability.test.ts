import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { bundleWorkflowCode } from '@temporalio/worker';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { installRuntime, startStack, waitForStatus, type Stack } from './support/stack';
import { makeLogger, setRootLogger, temporalLogger } from '../common/observability/log';
import { freePort, setSdkMetricsUrl } from '../common/observability/metrics';
import { startTracing, type Tracing } from '../common/observability/tracing';
import { workflowEntry } from '../extensions/bundle';
import { builtinWorkflowModules, builtinWorkflowTypes } from '../extensions/registry';
import { serveHealth } from '../workers/health';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';

/** Every log line the process writes, parsed. */
const lines: Record<string, any>[] = [];
setRootLogger(
  makeLogger(
    'test',
    new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    }),
    'info',
  ),
);

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let stack: Stack;
let workerMetrics: string;
let closeProbes: () => void;

beforeAll(async () => {
  // The SDK's Prometheus exporter on a loopback port, read by /metrics like a worker process's.
  const port = await freePort();
  installRuntime({
    logger: temporalLogger('WARN'),
    telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } } },
  });
  setSdkMetricsUrl(`http://127.0.0.1:${port}/metrics`);
  tracing = startTracing('test', new SimpleSpanProcessor(exporter))!;
  // Workers that trace carry the OpenTelemetry workflow interceptors in their bundle.
  const { code } = await bundleWorkflowCode({
    workflowsPath: workflowEntry(builtinWorkflowTypes()),
    workflowInterceptorModules: [
      ...builtinWorkflowModules(),
      require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
    ],
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never,
  });
  const bundle = path.join(process.env.NOVAFLOW_TEST_DIR!, `otel-bundle-${process.pid}.js`);
  fs.writeFileSync(bundle, code);
  stack = await startStack({
    // obs-bad has the most room, so the spread weigher tries it first: every build reschedules once.
    hosts: [
      { name: 'obs-bad', driver: { inventory: { ram: 65536 }, failSpawn: 'reschedule' } },
      { name: 'obs-ok', driver: { inventory: { ram: 32768 } } },
    ],
    tracing,
    workflowBundlePath: bundle,
  });
  const probes = await serveHealth({
    port: 0,
    host: '127.0.0.1',
    client: stack.client,
    workers: () => Object.values(stack.nodes).map((n) => n.worker),
  });
  closeProbes = () => probes.close();
  workerMetrics = `http://127.0.0.1:${(probes.address() as { port: number }).port}/metrics`;
}, 120_000);

afterAll(async () => {
  closeProbes?.();
  await stack?.shutdown();
  await tracing?.shutdown();
});

/** One sample of a Prometheus text exposition: the value of `name{labels}` (labels in any order). */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

let serverId: string;
let requestId: string;
let reservationId: string;

describe('when a server is created through the API', () => {
  it('then it is ACTIVE after one reschedule', async () => {
    const r = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'obs', flavorRef: '1', imageRef: IMAGE } },
    });
    expect(r.status).toBe(202);
    serverId = r.body.server.id;
    requestId = r.headers.get('x-openstack-request-id')!;
    await waitForStatus(stack, serverId, ['ACTIVE']);
    const admin = await stack.api('GET', `/v2.1/servers/${serverId}`, { token: 'admin:x' });
    expect(admin.body.server['OS-EXT-SRV-ATTR:host']).toBe('obs-ok');
  });

  it('then its access-log line carries the request, project, reservation and workflow ids', () => {
    const line = lines.find((l) => l.request_id === requestId && l.component === 'access');
    expect(line).toMatchObject({
      level: 'info',
      service: 'test',
      method: 'POST',
      route: '/v2.1/servers',
      status: 202,
      project_id: 'demo',
      user_id: 'alice',
      microversion: '2.1',
    });
    expect(line!.reservation_id).toMatch(/^r-[0-9a-z]{8}$/);
    expect(line!.workflow_id).toBe(`reservation/${line!.reservation_id}`);
    expect(typeof line!.duration_ms).toBe('number');
    reservationId = line!.reservation_id;
    // The GETs that polled it are logged with their route template, not the id.
    const polled = lines.find((l) => l.component === 'access' && l.path === `/v2.1/servers/${serverId}`);
    expect(polled).toMatchObject({ route: '/v2.1/servers/:id', status: 200, project_id: 'demo' });
  });

  it('then the API exposes its request and admission series with the right labels', async () => {
    const text = await scrape(`${stack.url}/metrics`);
    expect(
      sample(text, 'novaflow_api_requests_total', { method: 'POST', route: '/v2.1/servers', status: '202' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'novaflow_api_request_duration_seconds_count', {
        method: 'GET',
        route: '/v2.1/servers/:id',
        status: '200',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'novaflow_admissions_total', { result: 'admitted' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'novaflow_sse_streams', {})).toBe(0);
    // No id ever becomes a label.
    expect(text).not.toContain(serverId);
  });

  it("then a worker's /metrics shows spawns by result, the reschedule and the SDK's own series", async () => {
    const text = await scrape(workerMetrics);
    expect(
      sample(text, 'novaflow_spawns_total', { host: 'obs-bad', result: 'reschedule' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'novaflow_spawns_total', { host: 'obs-ok', result: 'success' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'novaflow_spawn_duration_seconds_count', { host: 'obs-ok', result: 'success' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'novaflow_scheduler_plan_duration_seconds_count', { result: 'placed' }),
    ).toBeGreaterThanOrEqual(1);
    // Emitted by the server's workflow through Temporal's meter, exported by the SDK.
    expect(sample(text, 'novaflow_reschedules', { from: 'obs-bad' })).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^temporal_workflow_completed\b|^temporal_activity_execution_latency/m);
  });

  it('then one trace spans the request, the reservation, the server entity, the spawn activity and the driver', async () => {
    // A server entity's run span ends with the server: delete it, then read the whole trace.
    expect((await stack.api('DELETE', `/v2.1/servers/${serverId}`)).status).toBe(204);
    const api = exporter.getFinishedSpans().find((s) => s.name === 'POST /v2.1/servers');
    expect(api).toBeDefined();
    expect(api!.attributes['novaflow.reservation_id']).toBe(reservationId);
    const traceOf = () =>
      exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === api!.spanContext().traceId);
    const deadline = Date.now() + 20_000;
    while (!traceOf().some((s) => s.name === 'RunWorkflow:serverWorkflow') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    const inTrace = traceOf();
    const byId = new Map(inTrace.map((s) => [s.spanContext().spanId, s]));
    // The driver call that succeeded, walked up to its root.
    const driver = inTrace.find(
      (s) => s.name === 'driver.spawn' && s.attributes['novaflow.host'] === 'obs-ok',
    ) as ReadableSpan;
    expect(driver).toBeDefined();
    const chain: string[] = [];
    for (let s: ReadableSpan | undefined = driver; s; s = byId.get(s.parentSpanId ?? '')) chain.push(s.name);
    expect(chain[chain.length - 1]).toBe('POST /v2.1/servers');
    const order = [
      'driver.spawn',
      'RunActivity:spawn',
      'RunWorkflow:serverWorkflow',
      'StartWorkflow:serverWorkflow',
      'RunActivity:startServers',
      'RunWorkflow:reservationWorkflow',
      'StartWorkflow:reservationWorkflow',
      'POST /v2.1/servers',
    ];
    let at = -1;
    for (const name of order) {
      const i = chain.indexOf(name, at + 1);
      expect([name, i]).toEqual([name, expect.any(Number)]);
      expect(i).toBeGreaterThan(at);
      at = i;
    }
    // The rescheduled attempt is in the same trace, marked failed.
    const failed = inTrace.find(
      (s) => s.name === 'driver.spawn' && s.attributes['novaflow.host'] === 'obs-bad',
    );
    expect(failed?.status.code).toBe(2);
  });
});

describe('when a create is over its quota', () => {
  it('then the refusal is counted by the API and by the quota entity', async () => {
    await stack.api('PUT', '/v2.1/os-quota-sets/obs-q', {
      token: 'admin:admin',
      body: { quota_set: { instances: 1 } },
    });
    const r = await stack.api('POST', '/v2.1/servers', {
      token: 'quinn:obs-q',
      body: { server: { name: 'q', flavorRef: '1', imageRef: IMAGE, min_count: 2 } },
    });
    expect(r.status).toBe(403);
    const api = await scrape(`${stack.url}/metrics`);
    expect(sample(api, 'novaflow_admissions_total', { result: 'over_quota' })).toBe(1);
    const worker = await scrape(workerMetrics);
    expect(sample(worker, 'novaflow_quota_refusals', {})).toBeGreaterThanOrEqual(1);
    const line = lines.find(
      (l) => l.component === 'access' && l.project_id === 'obs-q' && l.method === 'POST' && l.status === 403,
    );
    expect(line?.reservation_id).toMatch(/^r-/);
  });
});
