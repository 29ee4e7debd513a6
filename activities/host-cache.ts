import type { Client } from '@temporalio/client';
import type { Resources } from '../common/types';
import type { HostState } from '../entities/host/types';
import { loadHostStates } from '../entities/host/client';

/**
 * Host states the scheduler plans on without asking every host again for each request. A plan made
 * on cached states is only a guess: claims are still validated by each host entity, and a plan that
 * comes up short or is refused is made again on fresh states, so staleness never refuses a server.
 */
export class HostStateCache {
  private states: Map<string, HostState> | null = null;
  private loadedAt = 0;
  private loading: Promise<Map<string, HostState>> | null = null;

  constructor(
    private readonly client: Client,
    private readonly ttlMs: number,
  ) {}

  /** Every host's state: cached when younger than the TTL, unless `fresh` asks for a new read. */
  async get(fresh: boolean): Promise<HostState[]> {
    if (!fresh && this.states && Date.now() - this.loadedAt < this.ttlMs) return [...this.states.values()];
    // Concurrent schedules share one read; a fresh read never reuses one that began earlier.
    const load =
      !fresh && this.loading
        ? this.loading
        : (this.loading = loadHostStates(this.client).then((list) => {
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
