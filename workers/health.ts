import http from 'node:http';
import type { Client } from '@temporalio/client';
import { readiness, temporalCheck, type Check } from '../common/readiness';
import { METRICS_CONTENT_TYPE, metricsText } from '../common/observability/metrics';

/** What a worker's readiness looks at besides Temporal: its Temporal workers' states. */
export interface WorkerLike {
  getState(): string;
}

/**
 * A worker process's probes on `port` (NOVAFLOW_HEALTH_PORT): `GET /healthz` 200 while the process
 * serves; `GET /readyz` 200 when Temporal answers and every worker of the process is RUNNING, else 503
 * naming what is not; `GET /metrics` the process's Prometheus series (novaflow's, then the Temporal
 * SDK's). Anything else is a 404.
 */
export function serveHealth(opts: {
  port: number;
  host?: string;
  client: Client;
  workers: () => WorkerLike[];
}): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return send(405, { status: 'method not allowed' });
    if (req.url === '/healthz') return send(200, { status: 'ok' });
    if (req.url === '/metrics') {
      void metricsText().then((text) => {
        res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE });
        res.end(text);
      });
      return;
    }
    if (req.url !== '/readyz') return send(404, { status: 'not found' });
    void temporalCheck(opts.client).then((temporal) => {
      const states = opts.workers().map((w) => w.getState());
      const workers: Check = states.every((s) => s === 'RUNNING')
        ? { status: 'ok' }
        : { status: 'failed', error: `worker state ${states.join(', ')}` };
      const { status, body } = readiness({ temporal, workers });
      send(status, body);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve(server));
  });
}
