import path from 'node:path';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { quotaWorkflowId, reservationWorkflowId } from '../common/names';
import { ROOT } from '../scripts/temporal';
import { eventMillis, novaApi } from './measure';
import { unlimitedQuota } from './scenarios';
import { startBenchStack } from './stack';

/**
 * `npx tsx bench/profile.ts`: one single-server create on a fresh bench stack, then the timelines of
 * the reservation's and the quota entity's histories, to see which round trip the admission waits on.
 */
const EventType = temporal.api.enums.v1.EventType;

async function timeline(client: Client, workflowId: string, origin: number, last?: number) {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  console.log(`\n${workflowId}`);
  for (const e of (history.events ?? []).slice(last ? -last : 0)) {
    const t = eventMillis(e);
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
    await timeline(stack.client, quotaWorkflowId('profile'), t0, 8);

    // Creates one at a time on an idle stack: what admission costs with nothing else running.
    const idle: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = Date.now();
      const x = await api<{ reservation_id: string }>(
        'POST',
        '/v2.1/servers',
        'bench:profile',
        body(`i-${i}`),
      );
      idle.push(Date.now() - t);
      await stack.client.workflow.getHandle(reservationWorkflowId(x.body.reservation_id)).result();
    }
    idle.sort((a, b) => a - b);
    console.log(`\nidle creates: POST ms min ${idle[0]} median ${idle[5]} max ${idle[9]}`);

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
    const qh = await stack.client.workflow.getHandle(quotaWorkflowId('profile')).fetchHistory();
    const count = (t: number) => (qh.events ?? []).filter((e) => e.eventType === t).length;
    console.log(
      `quota entity: ${count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)} workflow tasks for ` +
        `${count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)} updates`,
    );
    const gaps = new Map<string, number[]>();
    for (const x of rids) {
      const history = await stack.client.workflow.getHandle(reservationWorkflowId(x.rid)).fetchHistory();
      let prev = x.t;
      for (const e of (history.events ?? []).slice(0, 14)) {
        const t = eventMillis(e);
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
