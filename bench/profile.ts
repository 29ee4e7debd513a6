import path from 'node:path';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { reservationWorkflowId } from '../common/names';
import { ROOT } from '../scripts/temporal';
import { novaApi } from './measure';
import { unlimitedQuota } from './scenarios';
import { startBenchStack } from './stack';

/**
 * `npx tsx bench/profile.ts`: one single-server create on a fresh bench stack, then the timelines of
 * the reservation's and the quota entity's histories, to see which round trip the admission waits on.
 */
const EventType = temporal.api.enums.v1.EventType;

async function timeline(client: Client, workflowId: string, origin: number) {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  console.log(`\n${workflowId}`);
  for (const e of history.events ?? []) {
    const t = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
    console.log(`  ${String(t - origin).padStart(6)} ms  ${EventType[e.eventType ?? 0]}`);
  }
}

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const stack = await startBenchStack({
    dir: path.join(ROOT, '.data', 'bench-profile'),
    hosts: ['bench-1', 'bench-2', 'bench-3'],
    log: console.log,
  });
  try {
    const api = novaApi(stack.apiUrl);
    await unlimitedQuota(api, 'profile');
    const body = (name: string) => ({
      server: { name, flavorRef: '1', min_count: 1, max_count: 1, return_reservation_id: true },
    });
    for (let i = 0; i < 5; i++) await api('POST', '/v2.1/servers', 'bench:profile', body(`warm-${i}`));
    const t0 = Date.now();
    const r = await api<{ reservation_id: string }>('POST', '/v2.1/servers', 'bench:profile', body('probe'));
    console.log(`POST answered ${r.status} in ${Date.now() - t0} ms`);
    await stack.client.workflow.getHandle(reservationWorkflowId(r.body.reservation_id)).result();
    console.log(`reservation done after ${Date.now() - t0} ms`);
    await timeline(stack.client, reservationWorkflowId(r.body.reservation_id), t0);

    // A burst: where does each admission wait? Gaps between the reservation's first events, averaged.
    const burst = Number(process.env.BURST ?? 16);
    const rids = await Promise.all(
      Array.from({ length: burst }, async (_, i) => {
        const t = Date.now();
        const res = await api<{ reservation_id: string }>(
          'POST',
          '/v2.1/servers',
          'bench:profile',
          body(`b-${i}`),
        );
        return { rid: res.body.reservation_id, t, ms: Date.now() - t };
      }),
    );
    await Promise.all(
      rids.map((x) => stack.client.workflow.getHandle(reservationWorkflowId(x.rid)).result()),
    );
    const gaps = new Map<string, number[]>();
    for (const x of rids) {
      const history = await stack.client.workflow.getHandle(reservationWorkflowId(x.rid)).fetchHistory();
      let prev = x.t;
      for (const e of (history.events ?? []).slice(0, 14)) {
        const t = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
        const key = `${String(e.eventId).padStart(2)} ${EventType[e.eventType ?? 0].replace('EVENT_TYPE_', '')}`;
        gaps.set(key, [...(gaps.get(key) ?? []), t - prev]);
        prev = t;
      }
      gaps.set('POST total', [...(gaps.get('POST total') ?? []), x.ms]);
    }
    console.log(`\nburst of ${burst}: mean ms since the previous event`);
    for (const [k, v] of gaps)
      console.log(`  ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(1).padStart(7)}  ${k}`);
  } finally {
    await stack.stop();
  }
}

void main();
