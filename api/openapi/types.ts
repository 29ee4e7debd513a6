import type { ZodType } from 'zod';

/**
 * One operation of the API for its OpenAPI document: the route as the app serves it, and the zod
 * schema its handler parses the body with. Core routes and extensions declare theirs; a route served
 * without one fails the check (test/openapi.test.ts), so the document cannot drift from the app.
 */
export interface Operation {
  method: 'get' | 'post' | 'put' | 'delete';
  /** The route as Express serves it: `/v2.1/servers/:id`. */
  path: string;
  summary: string;
  /** The body's schema (what the handler parses); none for a route without a body. */
  body?: ZodType;
  /** A body that is not JSON (an image upload). */
  bodyType?: string;
  /** The status of success (default: 200; 204 for a delete). */
  status?: number;
  /** Served without a token (probes, version documents). */
  public?: boolean;
  /** Defaults to the first segment after the version: `servers`. */
  tag?: string;
}
