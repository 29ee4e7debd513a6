import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { hostWorkflowId, quotaWorkflowId, reservationWorkflowId, serverWorkflowId } from '../common/names';
import { ROOT } from '../scripts/temporal';
import { eventMillis, novaApi } from './measure';
import { IMAGE, unlimitedQuota } from './scenarios';
import { hostReportSignal } from '../entities/host/messages';
import { startBenchStack } from './stack';

/**
 * `npx tsx bench/iteration.ts [rounds]`: what one boot+delete (Nova's churn iteration) costs in
 * Temporal, entity by entity — workflow tasks, events, activity tasks, signals sent and visibility
 * writes (search-attribute and memo upserts) — on an idle bench stack, averaged over `rounds`.
 */
const EventType = temporal.api.enums.v1.EventType;
type Event = temporal.api.history.v1.IHistoryEvent;

const KINDS = {
  tasks: EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  activities: EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  local: EventType.EVENT_TYPE_MARKER_RECORDED,
  signalsSent: EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
  signalsIn: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
  updatesIn: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  attributes: EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  memos: EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
} as const;
type Kind = keyof typeof KINDS | 'events';

/**
 * The dev server's persistence calls so far, by operation (its Prometheus endpoint, whose port the CLI
 * prints into the log at start): what each boot+delete costs Temporal's store, visibility included.
 */
async function persistenceCalls(logFile: string): Promise<Map<string, number>> {
  // The server reports its counters about once a second: let the last calls land.
  await new Promise((r) => setTimeout(r, 2000));
  const url = /Temporal Metrics:\s+(\S+)/.exec(fs.readFileSync(logFile, 'utf8'))?.[1];
  const out = new Map<string, number>();
  if (!url) return out;
  const text = await (await fetch(url)).text();
  for (const m of text.matchAll(
    /^(visibility_)?persistence_requests\{[^}]*operation="([^"]+)"[^}]*\} (\S+)$/gm,
  )) {
    const op = `${m[1] ? 'visibility ' : ''}${m[2]}`;
    out.set(op, (out.get(op) ?? 0) + Number(m[3]));
  }
  return out;
}

/** Events of a workflow (every run of it) from `since` on. */
async function eventsOf(client: Client, workflowId: string, since: number): Promise<Event[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((e) => eventMillis(e) >= since);
}

function count(events: Event[]): Record<Kind, number> {
  const out = { events: events.length } as Record<Kind, number>;
  for (const [k, t] of Object.entries(KINDS)) out[k as Kind] = events.filter((e) => e.eventType === t).length;
  return out;
}

async function main() {
  const rounds = Number(process.argv[2] ?? 5);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dir = path.join(ROOT, '.data', 'bench-iteration');
  fs.rmSync(path.join(dir, 'temporal.log'), { force: true });
  const stack = await startBenchStack({
    dir,
    hosts: ['bench-1'],
    log: () => {},
  });
  const totals = new Map<string, Record<Kind, number>>();
  let calls = new Map<string, number>();
  try {
    const api = novaApi(stack.apiUrl);
    const token = 'bench:iteration';
    await unlimitedQuota(api, 'iteration');
    const body = (name: string) => ({
      server: {
        name,
        flavorRef: '1',
        imageRef: IMAGE,
        return_reservation_id: true,
      },
    });
    // Warm up: the quota entity and the workers' caches exist before anything is counted.
    for (let i = 0; i < 2; i++) {
      const r = await api<{ reservation_id: string }>('POST', '/v2.1/servers', token, body(`warm-${i}`));
      const rec = await stack.client.workflow
        .getHandle(reservationWorkflowId(r.body.reservation_id))
        .result();
      await api('DELETE', `/v2.1/servers/${rec.serverIds[0]}`, token);
      await stack.client.workflow.getHandle(serverWorkflowId(rec.serverIds[0])).result();
    }
    await new Promise((r) => setTimeout(r, 1000));
    const ipams: string[] = [];
    for await (const w of stack.client.workflow.list({ query: "WorkflowType = 'ipamWorkflow'" }))
      ipams.push(w.workflowId);
    const before = await persistenceCalls(path.join(dir, 'temporal.log'));
    for (let i = 0; i < rounds; i++) {
      const t0 = Date.now();
      const r = await api<{ reservation_id: string }>('POST', '/v2.1/servers', token, body(`it-${i}`));
      const rid = r.body.reservation_id;
      const rec = await stack.client.workflow.getHandle(reservationWorkflowId(rid)).result();
      const id = rec.serverIds[0];
      await api('DELETE', `/v2.1/servers/${id}`, token);
      await stack.client.workflow.getHandle(serverWorkflowId(id)).result();
      // Signals still in flight (a release) land within a moment.
      await new Promise((r) => setTimeout(r, 500));
      const per: [string, Event[]][] = [
        ['reservation', await eventsOf(stack.client, reservationWorkflowId(rid), t0)],
        ['server', await eventsOf(stack.client, serverWorkflowId(id), t0)],
        [
          // Heartbeat reports are the host's, not the iteration's.
          'host',
          (await eventsOf(stack.client, hostWorkflowId('bench-1'), t0)).filter(
            (e) => e.workflowExecutionSignaledEventAttributes?.signalName !== hostReportSignal.name,
          ),
        ],
        ['quota', await eventsOf(stack.client, quotaWorkflowId('iteration'), t0)],
        // The address entity of the network the server got a port on (the networks extension).
        ['network', (await Promise.all(ipams.map((w) => eventsOf(stack.client, w, t0)))).flat()],
      ];
      if (i === rounds - 1 && process.env.EVENTS)
        for (const [name, events] of per) {
          console.log(`\n${name}`);
          for (const e of events)
            console.log(
              `  ${String(eventMillis(e) - t0).padStart(6)} ms  ${EventType[e.eventType ?? 0].replace('EVENT_TYPE_', '')} ${
                e.activityTaskScheduledEventAttributes?.activityType?.name ??
                e.workflowExecutionSignaledEventAttributes?.signalName ??
                e.markerRecordedEventAttributes?.markerName ??
                ''
              }`,
            );
        }
      for (const [name, events] of per) {
        const c = count(events);
        const t = totals.get(name) ?? ({} as Record<Kind, number>);
        for (const [k, v] of Object.entries(c)) t[k as Kind] = (t[k as Kind] ?? 0) + v;
        totals.set(name, t);
      }
    }
    const after = await persistenceCalls(path.join(dir, 'temporal.log'));
    calls = new Map([...after].map(([op, n]) => [op, n - (before.get(op) ?? 0)]));
  } finally {
    await stack.stop();
  }
  const kinds: Kind[] = ['events', ...(Object.keys(KINDS) as Kind[])];
  const all = {} as Record<Kind, number>;
  console.log(`one boot+delete, mean of ${rounds} (host heartbeats left out)`);
  console.log(`| entity | ${kinds.join(' | ')} |`);
  console.log(`| --- | ${kinds.map(() => '---').join(' | ')} |`);
  for (const [name, t] of totals) {
    for (const k of kinds) all[k] = (all[k] ?? 0) + t[k];
    console.log(`| ${name} | ${kinds.map((k) => (t[k] / rounds).toFixed(1)).join(' | ')} |`);
  }
  console.log(`| all | ${kinds.map((k) => (all[k] / rounds).toFixed(1)).join(' | ')} |`);
  // Writes only: the bench's own history reads and the heartbeats' reads are not the iteration's.
  const writes = [...calls].filter(
    ([op, n]) => n > 0 && !/^(visibility )?(Get|List|Count|Read|Range|Watch|Assert)/.test(op),
  );
  console.log(`\nTemporal persistence writes per boot+delete (mean of ${rounds}; host heartbeats included)`);
  console.log('| operation | calls |');
  console.log('| --- | --- |');
  for (const [op, n] of writes.sort((a, b) => b[1] - a[1]))
    console.log(`| ${op} | ${(n / rounds).toFixed(1)} |`);
}

void main();
