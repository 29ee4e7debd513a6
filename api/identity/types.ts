import type { NovaError } from '../../common/errors';
import type { Caller } from '../../common/types';

/** Who a token names: Keystone's ids, the roles it carries (implied roles included) and its expiry. */
export type Identity = Omit<Caller, 'requestId'>;

/** Reads a caller's identity from their token; the API trusts nothing else. */
export interface IdentityProvider {
  /** What the start-up log says this provider is. */
  readonly description: string;
  /**
   * The identity the token stands for. Throws a NovaError: 401 for a token that is not (or no longer)
   * valid, 503 when the identity service cannot answer.
   */
  authenticate(token: string): Promise<Identity>;
  /** The 401 for a missing or bad token (naming where to get one). */
  unauthorized(): NovaError;
  /** Resolves when the identity service answers (readiness); absent when there is none to ask. */
  ready?(): Promise<void>;
}
