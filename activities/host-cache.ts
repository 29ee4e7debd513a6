import type { Client } from '@temporalio/client';
import type { Resources } from '../common/types';
import type { HostState } from '../entities/host/types';
import { listHostStates, loadHostStates } from '../entities/host/client';
import { hostStateReads } from '../common/observability/metrics';
import { logger } from '../common/observability/log';

const log = logger('scheduler');

/**
 * How fresh a read must be: `cached` (at most the TTL old), `listed` (a new visibility listing: one
 * call, milliseconds behind the entities) or `queried` (a query to every host: strongly consistent,
 * a call per host).
 */
/** A cached read is reused at least this many times as long as it took to make. */
const READ_COST_FACTOR = 10;

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
  private loading: Promise<{ states: Map<string, HostState>; at: number }> | null = null;
  /** How long the last listing took: a read that costs more is reused longer. */
  private lastReadMs = 0;

  /**
   * `ttlMs` is the least a read is reused; a read that took long (a listing of a thousand hosts) is
   * reused `READ_COST_FACTOR` times as long as it took, so reading never costs more than a small
   * share of the time. Claims this process makes are applied to the cached states meanwhile.
   */
  constructor(
    private readonly client: Client,
    private readonly ttlMs: number,
  ) {}

  private get maxAgeMs(): number {
    return Math.max(this.ttlMs, this.lastReadMs * READ_COST_FACTOR);
  }

  /** Every host's state, at least as fresh as asked. */
  async get(freshness: Freshness): Promise<HostState[]> {
    return (await this.read(freshness)).states;
  }

  /**
   * Every host's state, at least as fresh as asked, and when it was read: liveness is judged as of
   * then. A heartbeat is as old as the read that saw it plus the read's own age; judged against now,
   * a listing reused for its ten-times-its-cost (6 s of a slow listing of 1000 hosts under load) plus
   * the heartbeat period made every host look down, and each plan then queried all 1000 hosts (19 s
   * each, in the bench), which slowed the next listing further.
   */
  async read(freshness: Freshness): Promise<{ states: HostState[]; readAt: number }> {
    const cached = freshness === 'cached';
    if (cached && this.states && Date.now() - this.loadedAt < this.maxAgeMs)
      return { states: [...this.states.values()], readAt: this.loadedAt };
    // Concurrent schedules share one listing; a fresher read never reuses one that began earlier.
    const started = Date.now();
    const read = () => {
      hostStateReads.inc({ freshness: freshness === 'queried' ? 'queried' : 'listed' });
      return freshness === 'queried' ? loadHostStates(this.client) : listHostStates(this.client);
    };
    const load =
      cached && this.loading
        ? this.loading
        : (this.loading = read().then((list) => {
            this.states = new Map(list.map((s) => [s.name, s]));
            this.loadedAt = Date.now();
            if (freshness !== 'queried') this.lastReadMs = this.loadedAt - started;
            // A query to every host is the expensive read: worth a line each time.
            (freshness === 'queried' ? log.info : log.debug).call(
              log,
              { freshness, hosts: list.length, ms: this.loadedAt - started },
              'read every host',
            );
            return { states: this.states, at: this.loadedAt };
          }));
    try {
      const { states, at } = await load;
      return { states: [...states.values()], readAt: at };
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
