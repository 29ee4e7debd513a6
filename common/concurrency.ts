/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the items' order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(lanes);
  return out;
}

/** Longest stretch of CPU work one request does before it lets other requests run. */
const SLICE_MS = 5;

/**
 * `items.filter(keep)`, giving the event loop back every few milliseconds: a long filter (many items,
 * an expensive predicate) slows only the request that asked for it, never the others.
 */
export async function filterYielding<T>(items: readonly T[], keep: (item: T) => boolean): Promise<T[]> {
  const out: T[] = [];
  let sliceStart = performance.now();
  for (const item of items) {
    if (keep(item)) out.push(item);
    if (performance.now() - sliceStart > SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
  return out;
}

/**
 * Group commit: requests for one key go out one call at a time; those that arrive while a call is in
 * flight wait and go out together in the next one. Alone, a request goes at once; under load, many
 * share one round trip (one workflow update instead of one each). `send` answers one result per
 * request, in order; a call that fails rejects every request of it.
 */
export class GroupCommit<Req, Res> {
  private readonly queues = new Map<
    string,
    { waiting: { req: Req; resolve: (r: Res) => void; reject: (e: unknown) => void }[]; busy: boolean }
  >();

  constructor(
    private readonly send: (key: string, batch: Req[]) => Promise<Res[]>,
    private readonly maxBatch = 200,
  ) {}

  submit(key: string, req: Req): Promise<Res> {
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = { waiting: [], busy: false }));
    const queue = q;
    return new Promise<Res>((resolve, reject) => {
      queue.waiting.push({ req, resolve, reject });
      void this.pump(key, queue);
    });
  }

  private async pump(key: string, queue: NonNullable<ReturnType<typeof this.queues.get>>): Promise<void> {
    if (queue.busy) return;
    const batch = queue.waiting.splice(0, this.maxBatch);
    if (batch.length === 0) {
      this.queues.delete(key);
      return;
    }
    queue.busy = true;
    try {
      const results = await this.send(
        key,
        batch.map((w) => w.req),
      );
      batch.forEach((w, i) => w.resolve(results[i]));
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      queue.busy = false;
      void this.pump(key, queue);
    }
  }
}

/**
 * A value read at most once per `ttlMs` (concurrent readers share one read), for hot paths that can
 * act on a slightly old answer and ask for a fresh one (`fresh`) before they refuse anything on it.
 */
export class Cached<T> {
  private value: { at: number; read: Promise<T> } | undefined;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly ttlMs: number,
  ) {}

  get(fresh = false): Promise<T> {
    const now = Date.now();
    if (!fresh && this.value && now - this.value.at < this.ttlMs) return this.value.read;
    const read = this.load();
    this.value = { at: now, read };
    // A failed read is not kept.
    read.catch(() => {
      if (this.value?.read === read) this.value = undefined;
    });
    return read;
  }
}
