import type { Command, CommandContext } from '../context';
import { CliError, EXIT, type Body } from '../http';
import { fields, table } from '../render';
import { finish, watchReservation } from './watch';

function need(args: string[], n: number, usage: string): void {
  if (args.length < n) throw new CliError(`usage: novaflow ${usage}`, EXIT.USAGE);
}

function count(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--${name} must be a positive integer`, EXIT.USAGE);
  return n;
}

function hints(list: string[] = []): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const h of list) {
    const at = h.indexOf('=');
    if (at <= 0) throw new CliError(`--hint takes key=value, got "${h}"`, EXIT.USAGE);
    const [k, v] = [h.slice(0, at), h.slice(at + 1)];
    const prior = out[k];
    // A repeated key is a list, like `--hint different_host=a --hint different_host=b`.
    out[k] = prior === undefined ? v : [...(Array.isArray(prior) ? prior : [prior]), v];
  }
  return out;
}

const create: Command = async (ctx, args) => {
  need(
    args,
    1,
    'server create NAME --flavor ID [--image ID] [--network ID]... [--min N] [--max N] [--hint k=v]... [--wait]',
  );
  const { opts } = ctx;
  if (!opts.flavor) throw new CliError('--flavor is required', EXIT.USAGE);
  const min = count(opts.min, 'min');
  const max = count(opts.max, 'max');
  const server: Record<string, unknown> = {
    name: args[0],
    flavorRef: opts.flavor,
    imageRef: opts.image ?? '',
    // Microversion 2.37 on: the networks are said, `auto` when none is named.
    networks: opts.network?.length ? opts.network.map((uuid) => ({ uuid })) : 'auto',
    return_reservation_id: true,
  };
  if (min !== undefined) server.min_count = min;
  if (max !== undefined) server.max_count = max;
  const body: Record<string, unknown> = { server };
  const h = hints(opts.hint);
  if (Object.keys(h).length > 0) body['os:scheduler_hints'] = h;
  const { reservation_id: rid } = await ctx.api.call('POST', '/v2.1/servers', body);
  if (opts.wait) return finish(ctx, await watchReservation(ctx, rid));
  const view = (await ctx.api.call('GET', `/v2.1/os-reservations/${rid}`)).reservation;
  if (opts.json) ctx.out(JSON.stringify(view, null, 2));
  else ctx.out(`reservation ${rid} accepted: ${view.servers.map((s: { id: string }) => s.id).join(' ')}`);
  return EXIT.OK;
};

const list: Command = async (ctx) => {
  const q = new URLSearchParams();
  if (ctx.opts.status) q.set('status', ctx.opts.status);
  if (ctx.opts.reservation) q.set('reservation_id', ctx.opts.reservation);
  if (ctx.opts['all-tenants']) q.set('all_tenants', '1');
  const { servers } = await ctx.api.call('GET', `/v2.1/servers/detail${q.size ? `?${q}` : ''}`);
  ctx.emit(servers, () =>
    table(
      ['ID', 'NAME', 'STATUS', 'TASK', 'PROGRESS', 'HOST', 'RESERVATION'],
      servers.map((s: Record<string, Body>) => [
        s.id,
        s.name,
        s.status,
        s['OS-EXT-STS:task_state'] ?? '-',
        s.progress === undefined ? '-' : `${s.progress}%`,
        s['OS-EXT-SRV-ATTR:host'] ?? '-',
        s['OS-EXT-SRV-ATTR:reservation_id'] ?? '-',
      ]),
    ),
  );
  return EXIT.OK;
};

const show: Command = async (ctx, args) => {
  need(args, 1, 'server show ID');
  const { server } = await ctx.api.call('GET', `/v2.1/servers/${args[0]}`);
  ctx.emit(server, () => {
    const { links: _links, ...rest } = server;
    return fields(rest);
  });
  return server.status === 'ERROR' ? EXIT.SERVERS_FAILED : EXIT.OK;
};

/** Waits for a server to leave BUILD and its task; exit 1 when it ends in ERROR. */
async function waitServer(ctx: CommandContext, id: string): Promise<number> {
  for (;;) {
    const { server } = await ctx.api.call('GET', `/v2.1/servers/${id}`);
    const task = server['OS-EXT-STS:task_state'];
    if (server.status !== 'BUILD' && task === null) {
      if (ctx.tty && !ctx.opts.json) ctx.redraw('');
      ctx.emit(server, () => `server ${id} is ${server.status}`);
      return server.status === 'ERROR' ? EXIT.SERVERS_FAILED : EXIT.OK;
    }
    const line = `server ${id} ${server.status} ${task} ${server.progress ?? 0}%`;
    if (ctx.opts.json) {
      // quiet: only the final view is printed
    } else if (ctx.tty) ctx.redraw(line);
    else ctx.out(line);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function action(verb: string, body: (ctx: CommandContext) => unknown): Command {
  return async (ctx, args) => {
    need(args, 1, `server ${verb} ID`);
    await ctx.api.call('POST', `/v2.1/servers/${args[0]}/action`, body(ctx));
    if (ctx.opts.wait) return waitServer(ctx, args[0]);
    if (!ctx.opts.json) ctx.out(`Request to ${verb} server ${args[0]} has been accepted.`);
    return EXIT.OK;
  };
}

const remove: Command = async (ctx, args) => {
  need(args, 1, 'server delete ID...');
  for (const id of args) {
    await ctx.api.call('DELETE', `/v2.1/servers/${id}`);
    if (!ctx.opts.json) ctx.out(`Request to delete server ${id} has been accepted.`);
  }
  return EXIT.OK;
};

const actions: Command = async (ctx, args) => {
  need(args, 1, 'server actions ID [REQUEST_ID]');
  const base = `/v2.1/servers/${args[0]}/os-instance-actions`;
  if (args[1]) {
    const { instanceAction: a } = await ctx.api.call('GET', `${base}/${args[1]}`);
    if (ctx.opts.json) ctx.out(JSON.stringify(a, null, 2));
    else {
      ctx.out(
        `${a.action} ${a.request_id} by ${a.user_id} at ${a.start_time}${a.message ? ` (${a.message})` : ''}`,
      );
      ctx.out(
        table(
          ['EVENT', 'HOST', 'RESULT', 'START', 'FINISH', 'TRACEBACK'],
          (a.events ?? []).map((e: Record<string, Body>) => [
            e.event,
            e.host ?? '-',
            e.result ?? 'running',
            e.start_time,
            e.finish_time ?? '-',
            e.traceback ?? '',
          ]),
        ),
      );
    }
    return EXIT.OK;
  }
  const { instanceActions } = await ctx.api.call('GET', base);
  if (ctx.opts.json) ctx.out(JSON.stringify(instanceActions, null, 2));
  else
    ctx.out(
      table(
        ['ACTION', 'REQUEST_ID', 'USER', 'START', 'MESSAGE'],
        instanceActions.map((a: Record<string, Body>) => [
          a.action,
          a.request_id,
          a.user_id,
          a.start_time,
          a.message ?? '-',
        ]),
      ),
    );
  return EXIT.OK;
};

/** `novaflow server ...` subcommands. */
export const serverCommands: Record<string, Command> = {
  create,
  list,
  show,
  delete: remove,
  reboot: action('reboot', (ctx) => ({ reboot: { type: ctx.opts.hard ? 'HARD' : 'SOFT' } })),
  stop: action('stop', () => ({ 'os-stop': null })),
  start: action('start', () => ({ 'os-start': null })),
  retry: action('retry', () => ({ retry: {} })),
  actions,
};
