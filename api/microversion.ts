import type { RequestHandler } from 'express';
import { NovaError } from '../common/errors';
import type { Microversion } from './context';
import { setCtx } from './context';

export const MIN_VERSION: Microversion = { major: 2, minor: 1 };
export const MAX_VERSION: Microversion = { major: 2, minor: 104 };
export const format = (v: Microversion) => `${v.major}.${v.minor}`;

function parse(raw: string): Microversion | 'latest' | null {
  if (raw.trim().toLowerCase() === 'latest') return 'latest';
  const m = /^\s*(\d+)\.(\d+)\s*$/.exec(raw);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null;
}

/** Reads `OpenStack-API-Version: compute X.Y` (or the legacy header) and echoes the version chosen. */
export const microversion: RequestHandler = (req, res, next) => {
  let raw: string | undefined;
  const modern = req.header('OpenStack-API-Version');
  if (modern) {
    const entry = modern
      .split(',')
      .map((s) => s.trim().split(/\s+/))
      .find(([service]) => service.toLowerCase() === 'compute');
    raw = entry?.[1];
  }
  raw ??= req.header('X-OpenStack-Nova-API-Version');
  let version = MIN_VERSION;
  if (raw !== undefined) {
    const parsed = parse(raw);
    if (parsed === null) throw new NovaError('badRequest', `Invalid API version request: ${raw}`);
    version = parsed === 'latest' ? MAX_VERSION : parsed;
    if (version.major !== 2 || version.minor < MIN_VERSION.minor || version.minor > MAX_VERSION.minor) {
      throw new NovaError(
        'computeFault',
        `Version ${raw} is not supported by the API. Minimum is ${format(MIN_VERSION)} and maximum is ${format(MAX_VERSION)}.`,
        406,
      );
    }
  }
  setCtx(req, { microversion: version });
  res.setHeader('OpenStack-API-Version', `compute ${format(version)}`);
  res.setHeader('X-OpenStack-Nova-API-Version', format(version));
  res.setHeader('Vary', 'OpenStack-API-Version, X-OpenStack-Nova-API-Version');
  next();
};
