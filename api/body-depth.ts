import type { RequestHandler } from 'express';
import { badRequest } from '../common/errors';

/** Deepest nesting a request body may have; Nova's own bodies nest at most five or six levels. */
export const MAX_BODY_DEPTH = 32;

/** Whether a parsed JSON value nests deeper than `limit` (an explicit stack: the walk itself cannot overflow). */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Refuses a body nested deeper than any Nova request before validation sees it: a schema walks a body
 * by recursion, and a body 100,000 levels deep would overflow its stack.
 */
export const bodyDepth: RequestHandler = (req, _res, next) => {
  if (nestsDeeperThan(req.body, MAX_BODY_DEPTH)) {
    throw badRequest(`Malformed request body: nested deeper than ${MAX_BODY_DEPTH} levels`);
  }
  next();
};
