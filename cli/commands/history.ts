import type { Command } from '../context';
import { CliError, EXIT, type Body } from '../http';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A workflow id from what a person types: a workflow id, a server id, a reservation id or a host. */
export function workflowIdOf(target: string): string {
  if (target.includes('/')) return target;
  if (/^r-[0-9a-z]{8}$/.test(target)) return `reservation/${target}`;
  if (UUID.test(target)) return `server/${target}`;
  return `host/${target}`;
}

const ms = (n: number | null) => (n === null ? '' : n < 1000 ? `${n}ms` : `${(n / 1000).toFixed(2)}s`);

function line(e: Record<string, Body>): string {
  const time = String(e.time).slice(11, 23);
  if (e.kind === 'stage') return `${time}  == stage ${e.what}`;
  if (e.kind !== 'activity')
    return `${time}  ${e.kind.padEnd(11)} ${e.what}${e.detail ? `  ${e.detail}` : ''}`;
  const where = e.host ? `host ${e.host}` : `queue ${e.task_queue}`;
  const parts = [`${time}  activity    ${e.activity} on ${where}`, `attempt ${e.attempt}`, e.result];
  if (e.duration_ms !== null) parts.push(ms(e.duration_ms));
  if (e.queued_ms) parts.push(`queued ${ms(e.queued_ms)}`);
  if (e.failure) parts.push(`${e.failure.type ?? 'failure'}: ${e.failure.message}`);
  if (e.last_failure) parts.push(`previous try: ${e.last_failure}`);
  return parts.join('  ');
}

/** `novaflow history TARGET`: the readable timeline of one workflow. */
export const history: Command = async (ctx, args) => {
  if (!args[0])
    throw new CliError('usage: novaflow history WORKFLOW_ID|SERVER_ID|RESERVATION_ID|HOST', EXIT.USAGE);
  const id = workflowIdOf(args[0]);
  const { history: h } = await ctx.api.call('GET', `/v2.1/os-workflows/${encodeURIComponent(id)}/history`);
  if (ctx.opts.json) {
    ctx.out(JSON.stringify(h, null, 2));
    return EXIT.OK;
  }
  const w = h.workflow;
  ctx.out(`${w.workflow_id}  ${w.type}  ${w.status}  ${w.history_length} events  run ${w.run_id}`);
  ctx.out(`web ui: ${w.web_ui_url}`);
  if (h.stages)
    ctx.out(
      'stages: ' +
        h.stages
          .map(
            (s: Record<string, Body>) => `${s.stage}${s.duration_ms === null ? '' : ` ${ms(s.duration_ms)}`}`,
          )
          .join(' -> '),
    );
  for (const e of h.timeline) ctx.out(line(e));
  return EXIT.OK;
};
