import type { Client } from '@temporalio/client';
import type { Resources } from '../common/types';
import type { HostState } from '../entities/host/types';
import { listHostStates, loadHostStates } from '../entities/host/client';

/**
 * How fresh a read must be: `cached` (at most the TTL old), `listed` (a new visibility listing: one
 * call, milliseconds behind the entities) or `queried` (a query to every host: strongly consistent,
 * a call per host).
 */
export type Freshness = 'cached' | 'listed' | 'queried';

/**
 * Host states the scheduler plans on without asking every host again for each request. A plan made
 * on cached or listed states is only a guess: claims are still validated by each host entity, a
 * refused plan is made again on a new listing, and one that comes up short on what every host says
 * now (queried), so staleness never refuses a server.
 */
export class HostStateCache {
  private states: Map<string, HostState> | null = null;
  private loadedAt = 0;
  private loading: Promise<Map<string, HostState>> | null = null;

  constructor(
    private readonly client: Client,
    private readonly ttlMs: number,
  ) {}

  /** Every host's state, at least as fresh as asked. */
  async get(freshness: Freshness): Promise<HostState[]> {
    const cached = freshness === 'cached';
    if (cached && this.states && Date.now() - this.loadedAt < this.ttlMs) return [...this.states.values()];
    // Concurrent schedules share one listing; a fresher read never reuses one that began earlier.
    const read = freshness === 'queried' ? loadHostStates(this.client) : listHostStates(this.client);
    const load =
      cached && this.loading
        ? this.loading
        : (this.loading = read.then((list) => {
            this.states = new Map(list.map((s) => [s.name, s]));
            this.loadedAt = Date.now();
            return this.states;
          }));
    try {
      return [...(await load).values()];
    } finally {
      if (this.loading === load) this.loading = null;
    }
  }

  /** Claims this process made, so plans before the next read see them. */
  claimed(host: string, claims: { key: string; resources: Resources }[]): void {
    const s = this.states?.get(host);
    if (s) for (const c of claims) s.allocations[c.key] = c.resources;
  }

  /** Claims this process gave back. */
  released(host: string, keys: string[]): void {
    const s = this.states?.get(host);
    if (s) for (const k of keys) delete s.allocations[k];
  }
}
