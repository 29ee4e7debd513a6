import { NovaError } from '../../common/errors';
import { isIdentityId } from '../../common/ids';
import type { Identity, IdentityProvider } from './types';

/**
 * Nova's noauth2, for development only: `X-Auth-Token: user:project`, and user `admin` is an admin.
 * Anyone can claim any identity, so it is on only when NOVAFLOW_AUTH=noauth says so.
 */
export const noAuth: IdentityProvider = {
  description: 'noauth (development only: any caller may claim any identity, "admin" is an admin)',
  unauthorized: () => new NovaError('unauthorized', 'The request you have made requires authentication.'),
  async authenticate(token: string): Promise<Identity> {
    const [userId, projectId = userId] = token.split(':', 2);
    // Ids travel into workflow ids, search attributes and quota keys: a token naming anything else is
    // no identity at all, refused before anything is started.
    if (!userId || !projectId || !isIdentityId(userId) || !isIdentityId(projectId))
      throw noAuth.unauthorized();
    const isAdmin = userId === 'admin';
    return {
      userId,
      projectId,
      roles: isAdmin ? ['admin', 'member', 'reader'] : ['member', 'reader'],
      isAdmin,
    };
  },
};
