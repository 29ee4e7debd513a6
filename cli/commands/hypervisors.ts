import type { Command, CommandContext } from '../context';
import { CliError, EXIT, type Body } from '../http';
import { fields, table } from '../render';

/** Hypervisor ids are uuids; a host name is looked up in the list. */
async function idOf(ctx: CommandContext, target: string | undefined, verb: string): Promise<string> {
  if (!target) throw new CliError(`usage: novaflow hypervisor ${verb} ID|HOSTNAME`, EXIT.USAGE);
  const { hypervisors } = await ctx.api.call('GET', '/v2.1/os-hypervisors');
  const found = hypervisors.find(
    (h: { id: string; hypervisor_hostname: string }) => h.id === target || h.hypervisor_hostname === target,
  );
  return found?.id ?? target;
}

const list: Command = async (ctx) => {
  const { hypervisors } = await ctx.api.call('GET', '/v2.1/os-hypervisors/detail');
  ctx.emit(hypervisors, () =>
    table(
      ['ID', 'HOSTNAME', 'STATE', 'STATUS', 'VCPUS', 'RAM_MB', 'RUNNING'],
      hypervisors.map((h: Record<string, Body>) => [
        h.id,
        h.hypervisor_hostname,
        h.state,
        h.status,
        h.vcpus === undefined ? '-' : `${h.vcpus_used}/${h.vcpus}`,
        h.memory_mb === undefined ? '-' : `${h.memory_mb_used}/${h.memory_mb}`,
        h.running_vms ?? '-',
      ]),
    ),
  );
  return EXIT.OK;
};

const show: Command = async (ctx, args) => {
  const { hypervisor } = await ctx.api.call(
    'GET',
    `/v2.1/os-hypervisors/${await idOf(ctx, args[0], 'show')}`,
  );
  ctx.emit(hypervisor, () => fields(hypervisor));
  return EXIT.OK;
};

const uptime: Command = async (ctx, args) => {
  const id = await idOf(ctx, args[0], 'uptime');
  const { hypervisor } = await ctx.api.call('GET', `/v2.1/os-hypervisors/${id}/uptime`);
  ctx.emit(hypervisor, () => `${hypervisor.hypervisor_hostname}: ${hypervisor.uptime}`);
  return EXIT.OK;
};

/** `novaflow hypervisor ...` subcommands (the os-hypervisors extension, admin only). */
export const hypervisorCommands: Record<string, Command> = { list, show, uptime };
