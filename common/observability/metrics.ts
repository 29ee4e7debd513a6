import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * novaflow's Prometheus metrics. Each process has one registry, served at `GET /metrics`: the API's
 * on its own port, a worker's on NOVAFLOW_HEALTH_PORT beside its probes, where the Temporal SDK's own
 * series (`temporal_*`, from the SDK's exporter on a loopback port) and the series workflows emit
 * (reschedules, quota refusals) follow novaflow's.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'novaflow_process_' });

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** API: every answered request, by method, route template (never the ids in it) and status. */
export const apiRequests = new Counter({
  name: 'novaflow_api_requests_total',
  help: 'HTTP requests the API answered, by method, route and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

export const apiLatency = new Histogram({
  name: 'novaflow_api_request_duration_seconds',
  help: 'Time from a request to its answer, by method, route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

/** API: creates by what admission said (admitted, refused by quota, refused as invalid). */
export const admissions = new Counter({
  name: 'novaflow_admissions_total',
  help: 'Create requests by admission result (admitted, over_quota)',
  labelNames: ['result'] as const,
  registers: [registry],
});

export const admittedServers = new Counter({
  name: 'novaflow_admitted_servers_total',
  help: 'Servers admitted by create requests',
  registers: [registry],
});

export const sseStreams = new Gauge({
  name: 'novaflow_sse_streams',
  help: 'Server-sent event streams open now (reservation tracking)',
  registers: [registry],
});

/** Compute nodes: spawn attempts by host and result (success, reschedule, error, cancelled). */
export const spawns = new Counter({
  name: 'novaflow_spawns_total',
  help: 'Spawn attempts on this compute node, by host and result',
  labelNames: ['host', 'result'] as const,
  registers: [registry],
});

export const spawnLatency = new Histogram({
  name: 'novaflow_spawn_duration_seconds',
  help: 'Time of one spawn attempt in the virt driver, by host and result',
  labelNames: ['host', 'result'] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  registers: [registry],
});

/** Control worker: requests no host could take, by the filter that removed the last hosts. */
export const noValidHost = new Counter({
  name: 'novaflow_scheduler_no_valid_host_total',
  help: 'Scheduling requests that found no valid host, by the filter that removed the last hosts',
  labelNames: ['filter'] as const,
  registers: [registry],
});

export const schedulePlans = new Histogram({
  name: 'novaflow_scheduler_plan_duration_seconds',
  help: 'Time of one scheduling call (plan and claims), by result',
  labelNames: ['result'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

/** Control worker: reads of every host's state the scheduler made, by how fresh they had to be. */
export const hostStateReads = new Counter({
  name: 'novaflow_scheduler_host_reads_total',
  help: "Reads of every host's state by the scheduler: listed (one visibility listing) or queried (a query per host)",
  labelNames: ['freshness'] as const,
  registers: [registry],
});

export { WORKFLOW_METRICS } from './workflow-metrics';

export { freePort } from '../ports';

/** Where this process's Temporal SDK exports its metrics, once the runtime is installed with it. */
let sdkMetricsUrl: string | undefined;

export function setSdkMetricsUrl(url: string | undefined): void {
  sdkMetricsUrl = url;
}

/** The text of `GET /metrics`: novaflow's series, then the Temporal SDK's when this process runs one. */
export async function metricsText(): Promise<string> {
  const own = await registry.metrics();
  if (!sdkMetricsUrl) return own;
  try {
    const res = await fetch(sdkMetricsUrl, { signal: AbortSignal.timeout(2000) });
    return `${own}\n${await res.text()}`;
  } catch {
    return own;
  }
}

export const METRICS_CONTENT_TYPE = registry.contentType;
