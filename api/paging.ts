import type { Request } from 'express';
import { badRequest } from '../common/errors';
import { parseIsoTime } from './views/time';

/** One query parameter as a string; repeated or nested parameters are the client's mistake. */
export function queryString(req: Request, key: string): string | undefined {
  const v = req.query[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badRequest(`Invalid value for query parameter ${key}`);
  return v;
}

/** Nova's `limit` (default 1000) and `marker` of a paged list. */
export function pageParams(req: Request) {
  const rawLimit = queryString(req, 'limit');
  const limit = rawLimit === undefined ? 1000 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 0)
    throw badRequest(
      `Invalid input for query parameters limit. Value: ${rawLimit}. '${rawLimit}' is not a 'positive integer'`,
    );
  return { limit, marker: queryString(req, 'marker') };
}

/** A time query parameter in ms, or Nova's 400 when it is not ISO 8601. */
export function timeQuery(name: string, raw: string): number {
  const ms = parseIsoTime(raw);
  if (ms === undefined)
    throw badRequest(
      `Invalid input for query parameters ${name}. Value: ${raw}. '${raw}' is not a 'date-time'`,
    );
  return ms;
}
