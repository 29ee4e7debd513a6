import type { CommandContext } from '../context';
import { CliError, EXIT } from '../http';
import { counts, progressLine, table } from '../render';

/** The reservation view as the API returns it, as far as the CLI reads it. */
export interface ReservationView {
  reservation_id: string;
  stage: string;
  settled: boolean;
  requested: { min_count: number; max_count: number };
  admitted: number;
  servers_by_status: Record<string, number>;
  servers: {
    id: string;
    name: string;
    status: string;
    task_state: string | null;
    progress: number;
    host?: string | null;
    attempts: { host?: string; result: string | null; message: string | null }[];
    fault: { code: number; message: string } | null;
  }[];
  no_valid_host: string | null;
  timings: { created: string; stages: Record<string, string>; finished: string | null };
  workflow_id: string;
  workflow_url: string;
}

/** Exit code for a settled request: non-zero when any of its servers ended in ERROR. */
export function exitFor(view: ReservationView): number {
  return view.servers.some((s) => s.status === 'ERROR') ? EXIT.SERVERS_FAILED : EXIT.OK;
}

/** The human summary of a reservation: header lines and one row per server. */
export function printReservation(ctx: CommandContext, view: ReservationView): void {
  const elapsed = view.timings.finished
    ? `${(Date.parse(view.timings.finished) - Date.parse(view.timings.created)) / 1000}s`
    : 'running';
  ctx.out(
    [
      `reservation ${view.reservation_id}  stage ${view.stage}${view.settled ? ' (settled)' : ''}  ${elapsed}`,
      `requested ${view.requested.min_count}-${view.requested.max_count}, admitted ${view.admitted}: ${counts(view.servers_by_status)}`,
      ...(view.no_valid_host ? [`no valid host: ${view.no_valid_host}`] : []),
      `workflow ${view.workflow_id}  ${view.workflow_url}`,
    ].join('\n'),
  );
  if (view.servers.length === 0) return;
  ctx.out(
    table(
      ['ID', 'NAME', 'STATUS', 'TASK', 'PROGRESS', 'HOST', 'ATTEMPTS', 'FAULT'],
      view.servers.map((s) => [
        s.id,
        s.name,
        s.status,
        s.task_state ?? '-',
        `${s.progress}%`,
        s.host ?? '-',
        s.attempts.map((a) => `${a.host ?? '?'}:${a.result ?? '...'}`).join(',') || '-',
        s.fault?.message ?? '',
      ]),
    ),
  );
}

/**
 * Follows a reservation's event stream until it settles: a redrawn bar on a terminal, one line per
 * change otherwise, nothing but the final JSON with --json. Returns the last snapshot.
 */
export async function watchReservation(ctx: CommandContext, rid: string): Promise<ReservationView> {
  let last: ReservationView | undefined;
  let lastLine = '';
  await ctx.api.stream(`/v2.1/os-reservations/${encodeURIComponent(rid)}/events`, (event, data) => {
    if (event === 'error') throw new Error(`stream error: ${data?.message}`);
    if (event !== 'snapshot') return;
    last = data as ReservationView;
    if (ctx.opts.json) return;
    const line = progressLine(last, ctx.tty);
    if (line === lastLine) return;
    lastLine = line;
    if (ctx.tty) ctx.redraw(line);
    else ctx.out(`${new Date().toISOString().slice(11, 19)} ${line}`);
  });
  if (ctx.tty && !ctx.opts.json) ctx.redraw(lastLine + '\n');
  // The stream ended: the request has settled. Read it once more if the last snapshot says otherwise,
  // and never report an unsettled request as done.
  if (!last?.settled)
    last = (await ctx.api.call('GET', `/v2.1/os-reservations/${encodeURIComponent(rid)}`)).reservation;
  if (!last!.settled) throw new CliError(`reservation ${rid} has not settled yet`, EXIT.UNREACHABLE);
  return last!;
}

/** Prints a finished watch (JSON or summary) and returns the exit code it stands for. */
export function finish(ctx: CommandContext, view: ReservationView): number {
  if (ctx.opts.json) ctx.out(JSON.stringify(view, null, 2));
  else printReservation(ctx, view);
  return exitFor(view);
}
