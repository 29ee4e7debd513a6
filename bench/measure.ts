import type { Client } from '@temporalio/client';
import { mapLimit } from '../common/concurrency';

/** History cost of a set of workflows, per unit of work (per server, per child). */
export interface HistoryTotals {
  eventsPer: number;
  bytesPer: number;
}

/** Sums the history length and size of workflows (describe: no need to download the histories). */
export async function historyTotals(
  client: Client,
  workflowIds: string[],
  per: number,
): Promise<HistoryTotals> {
  const described = await mapLimit(workflowIds, 16, (id) => client.workflow.getHandle(id).describe());
  let events = 0;
  let bytes = 0;
  for (const d of described) {
    events += d.historyLength;
    bytes += d.historySize ?? 0;
  }
  return { eventsPer: round(events / per, 1), bytesPer: Math.round(bytes / per) };
}

/** A history event's time in epoch milliseconds. */
export function eventMillis(e: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }): number {
  return Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
}

/** The p-th percentile (0..100) of samples, nearest-rank. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Latencies of `total` calls made by `callers` concurrent loops, and the calls per second overall. */
export interface LoadResult {
  callers: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  perSecond: number;
  errors: number;
}

/** Runs `call` `total` times from `callers` loops and measures each call's latency. */
export async function load(
  callers: number,
  total: number,
  call: (i: number) => Promise<void>,
  onError: (err: unknown) => void,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  await mapLimit(
    Array.from({ length: total }, (_, i) => i),
    callers,
    async (i) => {
      const start = performance.now();
      try {
        await call(i);
        latencies.push(performance.now() - start);
      } catch (err) {
        errors++;
        onError(err);
      }
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  return {
    callers,
    requests: total,
    p50Ms: round(percentile(latencies, 50), 1),
    p99Ms: round(percentile(latencies, 99), 1),
    perSecond: round(total / seconds, 1),
    errors,
  };
}

/** A small client of the Nova API: JSON in, status and JSON out. */
export function novaApi(baseUrl: string) {
  return async function api<T = any>(
    method: string,
    path: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(baseUrl + path, {
      method,
      headers: {
        'X-Auth-Token': token,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
}

export type NovaApi = ReturnType<typeof novaApi>;
