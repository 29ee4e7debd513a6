import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { NovaError } from '../common/errors';
import { setCtx } from './context';
import type { IdentityProvider } from './identity/types';

/** Collections under /v2.1; any other first segment is taken as a project id (the `/v2.1/{project_id}/...` form). */
export const CORE_COLLECTIONS = [
  'servers',
  'flavors',
  'limits',
  'os-quota-sets',
  'extensions',
  'os-reservations',
  'os-workflows',
  'os-services',
  'images',
];

/** Every response carries a request id; a caller's own X-Openstack-Request-Id is kept when well formed. */
export const requestId: RequestHandler = (req, res, next) => {
  const given = req.header('X-Openstack-Request-Id');
  const id = given && /^req-[0-9a-f-]{36}$/.test(given) ? given : `req-${randomUUID()}`;
  res.setHeader('X-Openstack-Request-Id', id);
  res.setHeader('X-Compute-Request-Id', id);
  setCtx(req, { baseUrl: `${req.protocol}://${req.get('host')}` });
  (req as { novaRequestId?: string }).novaRequestId = id;
  next();
};

/**
 * Reads the caller from `X-Auth-Token` through the identity provider (Keystone, or noauth in
 * development) and strips a project id from the URL after checking it.
 */
export function authenticate(identity: IdentityProvider, extraCollections: string[] = []): RequestHandler {
  const collections = new Set([...CORE_COLLECTIONS, ...extraCollections]);
  return async (req, _res, next) => {
    const token = req.header('X-Auth-Token');
    if (!token) throw identity.unauthorized();
    const caller = {
      ...(await identity.authenticate(token)),
      requestId: (req as { novaRequestId?: string }).novaRequestId ?? `req-${randomUUID()}`,
    };
    setCtx(req, { caller });
    const { projectId } = caller;
    const [first, second] = req.url.split('?')[0].split('/').filter(Boolean);
    // `/v2.1/{project_id}/<collection>/...`: anything else that is no collection is an unknown route (404).
    const projectForm =
      first !== undefined && !collections.has(first) && (first === projectId || collections.has(second));
    if (projectForm) {
      if (first !== projectId && !caller.isAdmin) {
        throw new NovaError(
          'badRequest',
          `Malformed request URL: URL's project_id '${first}' doesn't match Context's project_id '${projectId}'`,
        );
      }
      req.url = req.url.slice(first.length + 1) || '/';
    }
    next();
  };
}
