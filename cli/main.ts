import { parseArgs } from 'node:util';
import { history } from './commands/history';
import { hypervisorCommands } from './commands/hypervisors';
import { reservationCommands } from './commands/reservations';
import { serverCommands } from './commands/servers';
import type { Command, CommandContext, Options } from './context';
import { ApiClient, CliError, EXIT } from './http';
import { session } from './auth';

/** Defaults when neither a flag nor the environment says otherwise. */
export const DEFAULT_URL = 'http://localhost:8774';

const USAGE = `usage: novaflow [--os-cloud NAME | --token TOKEN [--url URL]] [--json] COMMAND ...

  server create NAME --flavor ID [--image ID] [--network ID]... [--min N] [--max N] [--hint key=value]... [--wait]
  server list [--status S] [--reservation R] [--all-tenants]
  server show|delete|stop|start ID
  server reboot ID [--hard]
  server retry ID [--wait]
  server actions ID [REQUEST_ID]
  reservation show|watch RESERVATION_ID
  reservation retry RESERVATION_ID [--wait]
  history WORKFLOW_ID|SERVER_ID|RESERVATION_ID|HOST
  hypervisor list
  hypervisor show|uptime ID|HOSTNAME

login: --os-cloud NAME or OS_CLOUD (clouds.yaml: OS_CLIENT_CONFIG_FILE, ./clouds.yaml,
  ~/.config/openstack/clouds.yaml), or OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME
  (OS_USER_DOMAIN_NAME, OS_PROJECT_DOMAIN_NAME, OS_REGION_NAME): a Keystone token, and the compute
  endpoint from its catalog. --token/NOVAFLOW_TOKEN with --url/NOVAFLOW_URL (default ${DEFAULT_URL})
  use a token you have (or user:project when the API runs with NOVAFLOW_AUTH=noauth).
exit codes: 0 ok, 1 servers ended in ERROR, 2 usage error, 3 API error, 4 API unreachable`;

const GROUPS: Record<string, Record<string, Command>> = {
  server: serverCommands,
  reservation: reservationCommands,
  hypervisor: hypervisorCommands,
};

function parse(argv: string[]): { opts: Options; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        'os-cloud': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        flavor: { type: 'string' },
        image: { type: 'string' },
        network: { type: 'string', multiple: true },
        min: { type: 'string' },
        max: { type: 'string' },
        hint: { type: 'string', multiple: true },
        wait: { type: 'boolean' },
        hard: { type: 'boolean' },
        status: { type: 'string' },
        reservation: { type: 'string' },
        'all-tenants': { type: 'boolean' },
      },
    });
    return { opts: values as Options, positionals };
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n${USAGE}`, EXIT.USAGE);
  }
}

/** Runs one command line and returns its exit code; everything it prints goes through the streams given. */
export async function run(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  stdout: NodeJS.WriteStream = process.stdout,
  stderr: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  try {
    const { opts, positionals } = parse(argv);
    const [group, sub, ...rest] = positionals;
    if (opts.help || !group) {
      stdout.write(USAGE + '\n');
      return opts.help ? EXIT.OK : EXIT.USAGE;
    }
    let command: Command | undefined;
    let args: string[];
    if (group === 'history') {
      command = history;
      args = sub === undefined ? [] : [sub, ...rest];
    } else {
      command = GROUPS[group]?.[sub ?? ''];
      args = rest;
    }
    if (!command)
      throw new CliError(`unknown command: ${positionals.slice(0, 2).join(' ')}\n${USAGE}`, EXIT.USAGE);
    const tty = Boolean(stdout.isTTY);
    const login = await session(opts, env, DEFAULT_URL);
    const ctx: CommandContext = {
      api: new ApiClient(login.url, login.token),
      opts,
      tty,
      out: (text) => stdout.write(text + '\n'),
      emit: (data, human) => stdout.write((opts.json ? JSON.stringify(data, null, 2) : human()) + '\n'),
      redraw: (text) => stdout.write(`\r\x1b[2K${text}`),
    };
    return await command(ctx, args);
  } catch (err) {
    if (err instanceof CliError) {
      stderr.write(`novaflow: ${err.message}\n`);
      return err.code;
    }
    stderr.write(`novaflow: ${(err as Error)?.stack ?? String(err)}\n`);
    return EXIT.API_ERROR;
  }
}

/** Entry of the `novaflow` binary: runs the process's command line and sets its exit code. */
export async function main(): Promise<void> {
  process.exitCode = await run(process.argv.slice(2));
}

if (require.main === module) void main();
