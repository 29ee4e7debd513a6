import type { Command } from '../context';
import { CliError, EXIT } from '../http';
import { exitFor, finish, printReservation, watchReservation } from './watch';

function rid(args: string[], verb: string): string {
  if (!args[0]) throw new CliError(`usage: novaflow reservation ${verb} RESERVATION_ID`, EXIT.USAGE);
  return encodeURIComponent(args[0]);
}

const show: Command = async (ctx, args) => {
  const { reservation } = await ctx.api.call('GET', `/v2.1/os-reservations/${rid(args, 'show')}`);
  if (ctx.opts.json) ctx.out(JSON.stringify(reservation, null, 2));
  else printReservation(ctx, reservation);
  return reservation.settled ? exitFor(reservation) : EXIT.OK;
};

const watch: Command = async (ctx, args) => {
  rid(args, 'watch');
  return finish(ctx, await watchReservation(ctx, args[0]));
};

const retry: Command = async (ctx, args) => {
  const id = rid(args, 'retry');
  const { retried } = await ctx.api.call('POST', `/v2.1/os-reservations/${id}/action`, { retry: {} });
  if (ctx.opts.wait) {
    if (!ctx.opts.json) ctx.out(`retrying ${retried.length} server(s)`);
    return finish(ctx, await watchReservation(ctx, args[0]));
  }
  ctx.emit({ retried }, () =>
    retried.length ? `retrying ${retried.length} server(s): ${retried.join(' ')}` : 'nothing to retry',
  );
  return EXIT.OK;
};

/** `novaflow reservation ...` subcommands. */
export const reservationCommands: Record<string, Command> = { show, watch, retry };
