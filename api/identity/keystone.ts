import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { forbidden, NovaError } from '../../common/errors';
import { isIdentityId } from '../../common/ids';
import type { Identity, IdentityProvider } from './types';
import { passwordAuthBody } from '../../common/keystone-auth';
import { logger } from '../../common/observability/log';

const log = logger('keystone');

export interface KeystoneOptions {
  /** Keystone's v3 root, e.g. http://127.0.0.1:5000/v3. */
  url: string;
  /** novaflow's service user, which validates callers' tokens (Keystone's `service` role). */
  service: {
    user: string;
    password: string;
    project: string;
    /** Domain name (default `Default`). */ domain?: string;
  };
  /** How long a validated token is trusted without asking Keystone again (default 300 s). */
  cacheSeconds?: number;
  /** Most tokens remembered (default 10000); the least recently used go first. */
  cacheSize?: number;
  /** How long one call to Keystone may take before the caller gets 503 (default 5 s). */
  timeoutMs?: number;
}

/** A token's validation, remembered: the identity, or the 401 it earned. */
type Verdict = { identity: Identity } | { invalid: string };

/** Keystone answered something that is neither yes nor no: the caller gets 503, never a pass. */
class KeystoneUnavailable extends NovaError {
  constructor(detail: string) {
    super('serviceUnavailable', `The identity service is not available: ${detail}`);
  }
}

/** Where a token's hash comes from: tokens are secrets and are never kept as they are. */
const keyOf = (token: string) => createHash('sha256').update(token).digest('base64url');

/**
 * Token validation as keystonemiddleware does it: each X-Auth-Token is looked up with Keystone
 * (`GET /v3/auth/tokens`, X-Subject-Token, under novaflow's own service token) and the answer is kept
 * in a bounded cache until shortly before the token expires, or `cacheSeconds`, whichever is sooner;
 * a revoked token is therefore refused within `cacheSeconds`. Concurrent requests with one token make
 * one call to Keystone.
 */
export class KeystoneIdentity implements IdentityProvider {
  readonly description: string;
  private readonly cache: LRUCache<string, Verdict>;
  private readonly inFlight = new Map<string, Promise<Verdict>>();
  private serviceToken: Promise<{ token: string; expiresAt: number }> | undefined;
  private readonly cacheMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: KeystoneOptions) {
    this.description = `Keystone at ${opts.url} (service user ${opts.service.user})`;
    this.cacheMs = (opts.cacheSeconds ?? 300) * 1000;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.cache = new LRUCache({ max: opts.cacheSize ?? 10_000, ttlAutopurge: false });
  }

  /** The 401 a caller gets, naming Keystone the way Nova's 401 does. */
  unauthorized(): NovaError {
    return new NovaError('unauthorized', 'The request you have made requires authentication.', 401, {
      'WWW-Authenticate': `Keystone uri="${this.opts.url.replace(/\/v3\/?$/, '')}"`,
    });
  }

  async authenticate(token: string): Promise<Identity> {
    if (token.length > 8192) throw this.unauthorized();
    const key = keyOf(token);
    let verdict = this.cache.get(key);
    if (!verdict) {
      let pending = this.inFlight.get(key);
      if (!pending) {
        pending = this.validate(token).finally(() => this.inFlight.delete(key));
        this.inFlight.set(key, pending);
      }
      verdict = await pending;
    }
    if ('invalid' in verdict) throw this.unauthorized();
    return verdict.identity;
  }

  /** Keystone answers its version document: it is there to validate tokens with. */
  async ready(): Promise<void> {
    const res = await this.fetch('', { method: 'GET' });
    if (!res.ok) throw new KeystoneUnavailable(`it answered ${res.status}`);
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(this.opts.url.replace(/\/$/, '') + path, {
        ...init,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new KeystoneUnavailable(
        (err as Error).name === 'TimeoutError' ? 'it did not answer in time' : 'unreachable',
      );
    }
  }

  /** novaflow's own token, reused until a minute before it expires. */
  private async service(renew = false): Promise<string> {
    const current = this.serviceToken && (await this.serviceToken.catch(() => undefined));
    if (renew || !current || current.expiresAt - 60_000 < Date.now()) {
      this.serviceToken = this.login();
      this.serviceToken.catch(() => (this.serviceToken = undefined));
      return (await this.serviceToken).token;
    }
    return current.token;
  }

  private async login(): Promise<{ token: string; expiresAt: number }> {
    const { user, password, project, domain } = this.opts.service;
    const res = await this.fetch('/auth/tokens', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: passwordAuthBody({ user, password, project, userDomain: domain, projectDomain: domain }),
    });
    if (res.status !== 201) {
      log.error({ status: res.status, user }, "Keystone refused novaflow's service user");
      throw new KeystoneUnavailable('novaflow could not log in to it');
    }
    const body = (await res.json()) as { token: { expires_at: string } };
    return { token: res.headers.get('x-subject-token')!, expiresAt: Date.parse(body.token.expires_at) };
  }

  private async validate(token: string): Promise<Verdict> {
    let res: Response | undefined;
    for (const renew of [false, true]) {
      res = await this.fetch('/auth/tokens', {
        headers: { 'X-Auth-Token': await this.service(renew), 'X-Subject-Token': token },
      });
      if (res.status !== 401) break; // 401 here means novaflow's own token went stale: log in again once
    }
    if (res!.status === 404) return this.remember(token, { invalid: 'unknown, expired or revoked' });
    if (res!.status !== 200) {
      log.error({ status: res!.status }, 'Keystone failed a token validation');
      throw new KeystoneUnavailable(`it answered ${res!.status}`);
    }
    const { token: t } = (await res!.json()) as KeystoneToken;
    if (!t.project)
      throw forbidden('The token is not scoped to a project; ask Keystone for a project-scoped token.');
    if (!isIdentityId(t.user.id) || !isIdentityId(t.project.id)) throw this.unauthorized();
    const roles = (t.roles ?? []).map((r) => r.name);
    const identity: Identity = {
      userId: t.user.id,
      projectId: t.project.id,
      roles,
      isAdmin: roles.includes('admin'),
    };
    return this.remember(token, { identity }, Date.parse(t.expires_at));
  }

  private remember(token: string, verdict: Verdict, expiresAt = Infinity): Verdict {
    const ttl = Math.min(this.cacheMs, expiresAt - Date.now() - 5_000);
    if (ttl > 0) this.cache.set(keyOf(token), verdict, { ttl });
    return verdict;
  }
}

interface KeystoneToken {
  token: {
    expires_at: string;
    user: { id: string };
    project?: { id: string };
    roles?: { name: string }[];
  };
}
