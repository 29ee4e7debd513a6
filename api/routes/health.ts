import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { check, readiness, temporalCheck, type Check } from '../../common/readiness';
import type { IdentityProvider } from '../identity/types';
import { METRICS_CONTENT_TYPE, metricsText } from '../../common/observability/metrics';

/**
 * Probes for orchestrators and load balancers, outside the Nova API and its identity: `GET /healthz`
 * says the process serves (liveness: 200 while it can answer at all); `GET /readyz` says whether it
 * can do its work — Temporal answers, and Keystone does when tokens are validated with it — 200 when
 * every check passes, 503 naming the one that failed.
 */
export function healthRoutes(deps: { client: Client; identity: IdentityProvider }): Router {
  const r = Router();
  // Prometheus's scrape: the API's request, admission and stream series and the process's own.
  r.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', METRICS_CONTENT_TYPE);
    res.send(await metricsText());
  });
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const [temporal, keystone] = await Promise.all([
      temporalCheck(deps.client),
      deps.identity.ready
        ? check(() => deps.identity.ready!())
        : Promise.resolve<Check>({ status: 'not used' }),
    ]);
    const { status, body } = readiness({ temporal, keystone });
    res.status(status).json(body);
  });
  return r;
}
