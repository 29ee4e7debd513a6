import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Request, Response } from 'express';
import { Router } from 'express';
import { badRequest } from '../../common/errors';
import { sseStreams } from '../../common/observability/metrics';
import type { ApiDeps } from '../context';
import { ctx } from '../context';
import { reservationSnapshot, retryReservation, type ReservationView } from '../usecases/reservations';

/** How often a stream re-reads the request; each read is a few queries, no history is written. */
const STREAM_POLL_MS = 400;
/** How soon a client reconnects after its stream dropped. */
const STREAM_RETRY_MS = 1000;
/** A comment line now and then keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

function wantsStream(req: Request): boolean {
  const flag = req.query.stream;
  if (typeof flag === 'string' && !['0', 'false', 'no', ''].includes(flag.toLowerCase())) return true;
  return (req.header('Accept') ?? '').includes('text/event-stream');
}

/**
 * Server-Sent Events: one `snapshot` event whenever the view changed, then `end` once the request has
 * settled. The first snapshot is read before any header is sent, so a 404 is still a Nova fault.
 */
async function stream(deps: ApiDeps, req: Request, res: Response): Promise<void> {
  const { caller } = ctx(req);
  const id = req.params.id as string;
  let snap: ReservationView = await reservationSnapshot(deps, caller, id);
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  let closed = false;
  let counted = true;
  sseStreams.inc();
  const uncount = () => {
    if (counted) sseStreams.dec();
    counted = false;
  };
  req.on('close', () => {
    closed = true;
    uncount();
  });
  // A reconnecting client names the snapshot it has (its id is a hash of its content): unchanged, it
  // is not sent again. `retry` tells clients how soon to reconnect after a drop.
  let last = req.header('Last-Event-ID') ?? '';
  let retry = `retry: ${STREAM_RETRY_MS}\n`;
  let lastWrite = Date.now();
  while (!closed) {
    const json = JSON.stringify(snap);
    const eventId = createHash('sha1').update(json).digest('hex').slice(0, 16);
    if (eventId !== last) {
      res.write(`${retry}id: ${eventId}\nevent: snapshot\ndata: ${json}\n\n`);
      retry = '';
      last = eventId;
      lastWrite = Date.now();
    } else if (Date.now() - lastWrite > KEEPALIVE_MS) {
      res.write(': keep-alive\n\n');
      lastWrite = Date.now();
    }
    if (snap.settled) {
      res.write(
        `event: end\ndata: ${JSON.stringify({ stage: snap.stage, servers_by_status: snap.servers_by_status })}\n\n`,
      );
      break;
    }
    await sleep(STREAM_POLL_MS);
    if (closed) break;
    try {
      snap = await reservationSnapshot(deps, caller, id);
    } catch (err) {
      res.write(`event: error\ndata: ${JSON.stringify({ message: (err as Error).message })}\n\n`);
      break;
    }
  }
  res.end();
  uncount();
}

/** Tracking a create request: its view, its live stream, and retrying its failed servers. */
export function reservationRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.get('/os-reservations/:id', async (req, res) => {
    if (wantsStream(req)) return stream(deps, req, res);
    res.json({ reservation: await reservationSnapshot(deps, ctx(req).caller, req.params.id) });
  });
  r.get('/os-reservations/:id/events', (req, res) => stream(deps, req, res));
  r.post('/os-reservations/:id/action', async (req, res) => {
    const body = req.body as Record<string, unknown> | undefined;
    const keys = body && typeof body === 'object' ? Object.keys(body) : [];
    if (keys.length !== 1 || keys[0] !== 'retry')
      throw badRequest(`There is no such action: ${keys.join(', ')}`);
    if (body!.retry !== null && (typeof body!.retry !== 'object' || Array.isArray(body!.retry)))
      throw badRequest(
        `Invalid input for field/attribute retry. Value: ${JSON.stringify(body!.retry)}. must be an object`,
      );
    const retried = await retryReservation(deps, ctx(req).caller, req.params.id);
    res.status(202).json({ retried });
  });
  return r;
}
