import { context, trace, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { Request, RequestHandler } from 'express';
import { logger, type Logger } from '../common/observability/log';
import { apiLatency, apiRequests } from '../common/observability/metrics';
import { ctx } from './context';

const accessLog = logger('access');

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/** Ids a route learned while it ran (the reservation it started), for its access-log line and span. */
export type Annotations = Record<string, string | number>;

type Observed = Request & { novaflowLog?: Logger; novaflowNotes?: Annotations };

/** Adds ids to the request's access-log line and span (a create names its reservation and workflow). */
export function annotate(req: Request, notes: Annotations): void {
  const r = req as Observed;
  r.novaflowNotes = { ...r.novaflowNotes, ...notes };
  const span = trace.getSpan(context.active());
  if (span) for (const [k, v] of Object.entries(notes)) span.setAttribute(`novaflow.${k}`, v);
}

/** The request's logger: every line carries its request id, and the caller's project once known. */
export function requestLog(req: Request): Logger {
  const r = req as Observed;
  const caller = ctx(req)?.caller;
  const base = (r.novaflowLog ??= accessLog.child({
    request_id: (req as { novaRequestId?: string }).novaRequestId,
  }));
  return caller ? base.child({ project_id: caller.projectId, user_id: caller.userId }) : base;
}

/** The route template a request matched (`/v2.1/servers/:id`), never the ids in its path. */
function routeOf(req: Request): string {
  const given = (req.route as { path?: unknown } | undefined)?.path;
  // A route of several paths is named by its first.
  const path: unknown = Array.isArray(given) ? given[0] : given;
  return typeof path === 'string' ? `${req.baseUrl}${path}` : 'unmatched';
}

/**
 * One access-log line and one sample of the request metrics per answered request, and (when
 * tracing is on) a server span that the Temporal calls the request makes continue. Comes right after
 * the request id, so everything after it runs inside the span.
 */
export function observe(tracer?: Tracer): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const span = tracer?.startSpan(`${req.method} ${req.path}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method, 'url.path': req.path },
    });
    // The route is read as the answer starts, while the router that matched it still owns the request
    // (an error passed on leaves the router, which gives back its mount path).
    let route: string | undefined;
    const writeHead = res.writeHead;
    res.writeHead = function (this: typeof res, ...args: unknown[]) {
      route ??= routeOf(req);
      return (writeHead as (...a: unknown[]) => typeof res).apply(this, args);
    } as typeof res.writeHead;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      route ??= routeOf(req);
      const status = String(res.statusCode);
      apiRequests.inc({ method: req.method, route, status });
      apiLatency.observe({ method: req.method, route, status }, seconds);
      const caller = ctx(req)?.caller;
      const line = {
        request_id: (req as { novaRequestId?: string }).novaRequestId,
        method: req.method,
        path: req.originalUrl,
        route,
        status: res.statusCode,
        duration_ms: Math.round(seconds * 1e4) / 10,
        ...(caller ? { project_id: caller.projectId, user_id: caller.userId } : {}),
        ...(ctx(req)?.microversion
          ? { microversion: `${ctx(req).microversion.major}.${ctx(req).microversion.minor}` }
          : {}),
        ...(req as Observed).novaflowNotes,
      };
      if (res.statusCode >= 500) accessLog.error(line, 'request');
      // Probes and scrapes come every few seconds: at debug level unless they fail.
      else if (PROBES.has(route) && res.statusCode < 400) accessLog.debug(line, 'request');
      else accessLog.info(line, 'request');
      if (span) {
        span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.route', route);
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
    };
    res.on('finish', finish);
    res.on('close', finish);
    if (!span) return next();
    context.with(trace.setSpan(context.active(), span), next);
  };
}
