import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { IdentityProvider } from '../identity/types';

/** How long a readiness check may take before it counts as failed. */
const CHECK_MS = 2000;

type Check = { status: 'ok' } | { status: 'failed'; error: string } | { status: 'not used' };

async function check(call: () => Promise<unknown>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      call(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_MS} ms`)), CHECK_MS);
      }),
    ]);
    return { status: 'ok' };
  } catch (err) {
    return { status: 'failed', error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Probes for orchestrators and load balancers, outside the Nova API and its identity: `GET /healthz`
 * says the process serves (liveness: 200 while it can answer at all); `GET /readyz` says whether it
 * can do its work — Temporal answers, and Keystone does when tokens are validated with it — 200 when
 * every check passes, 503 naming the one that failed.
 */
export function healthRoutes(deps: { client: Client; identity: IdentityProvider }): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const [temporal, keystone] = await Promise.all([
      check(() =>
        deps.client.connection.withDeadline(Date.now() + CHECK_MS, () =>
          deps.client.workflowService.getSystemInfo({}),
        ),
      ),
      deps.identity.ready
        ? check(() => deps.identity.ready!())
        : Promise.resolve<Check>({ status: 'not used' }),
    ]);
    const ready = temporal.status !== 'failed' && keystone.status !== 'failed';
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'not ready', checks: { temporal, keystone } });
  });
  return r;
}
