import type { Target } from './policy/engine';
import type { Client } from '@temporalio/client';
import type { Request } from 'express';
import type { Caller } from '../common/types';

/** What every route needs: the Temporal client and a few settings. The API keeps no other state. */
export interface ApiDeps {
  client: Client;
  namespace: string;
  /** Base URL of the Temporal Web UI, for links to workflows. */
  uiUrl: string;
  /** Largest max_count one request may ask for. */
  maxCount: number;
  /** Fixed public URL for links; by default the request's own host. */
  publicUrl?: string;
  /** A compute host whose last heartbeat is older than this is down (default 20 s). */
  hostDownAfterMs?: number;
}

/** Per-request data the middleware attaches. */
export interface RequestContext {
  caller: Caller;
  /**
   * Whether policy lets the caller do what `rule` guards, on a target (by default their own project
   * and user; a route that acts for another user, such as an admin's `?user_id=`, names it).
   */
  can(rule: string, target?: Target): boolean;
  /** Nova's 403 unless policy lets the caller do what `rule` guards, on that target. */
  enforce(rule: string, target?: Target): void;
  microversion: Microversion;
  baseUrl: string;
}

export interface Microversion {
  major: number;
  minor: number;
}

export function ctx(req: Request): RequestContext {
  return (req as Request & { nova: RequestContext }).nova;
}

export function setCtx(req: Request, value: Partial<RequestContext>): void {
  const r = req as Request & { nova: RequestContext };
  r.nova = { ...r.nova, ...value };
}

/** Whether the request's microversion is at least `minor` (all ours are 2.x). */
export function atLeast(req: Request, minor: number): boolean {
  return ctx(req).microversion.minor >= minor;
}
