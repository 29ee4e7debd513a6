import { execFile } from 'node:child_process';
import path from 'node:path';
import { startStack, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const BIN = path.join(__dirname, '..', 'bin', 'novaflow.js');
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    hosts: [
      { name: 'c1', driver: { spawnLatencyMs: 800 } },
      { name: 'c2', driver: { spawnLatencyMs: 800 } },
    ],
  });
});
afterAll(async () => {
  await stack?.shutdown();
});

/** Runs the real binary as a child process (async: the stack it talks to lives in this process). */
function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: { ...process.env, NOVAFLOW_URL: stack.url, NOVAFLOW_TOKEN: 'admin:admin', ...env },
        timeout: 60_000,
      },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 99) : 0;
        resolve({ code: typeof code === 'number' ? code : 99, stdout, stderr });
      },
    );
  });
}

describe('when the novaflow CLI drives a running stack', () => {
  let rid = '';

  it('then create --wait with min/max prints progress lines, a summary, and exits 0', async () => {
    const r = await cli([
      'server',
      'create',
      'web',
      '--flavor',
      '1',
      '--image',
      IMAGE,
      '--min',
      '2',
      '--max',
      '3',
      '--wait',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    // Not a terminal: plain timestamped lines instead of a redrawn bar.
    expect(lines.some((l) => /^\d\d:\d\d:\d\d stage=\w+ progress=\d+% BUILD 3/.test(l))).toBe(true);
    expect(r.stdout).not.toContain('\r');
    expect(r.stdout).toMatch(/stage done \(settled\)/);
    expect(r.stdout).toContain('requested 2-3, admitted 3: ACTIVE 3');
    rid = /reservation (r-[0-9a-z]{8})/.exec(r.stdout)![1];
    expect(r.stdout.match(/web-[123]\s+ACTIVE/g)).toHaveLength(3);
  });

  it('then list and reservation show read the same servers, as a table or as JSON', async () => {
    const list = await cli(['server', 'list', '--reservation', rid]);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+STATUS\s+TASK\s+PROGRESS\s+HOST\s+RESERVATION$/);
    expect(list.stdout.match(/web-\d\s+ACTIVE\s+-\s+100%\s+c[12]\s+r-/g)).toHaveLength(3);
    const json = await cli(['--json', 'reservation', 'show', rid]);
    expect(json.code).toBe(0);
    const view = JSON.parse(json.stdout);
    expect(view.servers_by_status).toEqual({ ACTIVE: 3 });
  });

  it('then history reads a reservation stage by stage and a server attempt by attempt', async () => {
    const res = await cli(['history', rid]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`reservation/${rid}  reservationWorkflow  COMPLETED`);
    expect(res.stdout).toMatch(/stages: admit \S+ -> schedule \S+ -> spawn \S+ -> settle \S+ -> done/);
    expect(res.stdout).toMatch(
      // A request of up to 250 servers schedules as a local activity within its first workflow task.
      /== stage schedule\n.*activity\s+scheduleServers on queue \(local\)\s+attempt 1\s+completed/,
    );
    const view = JSON.parse((await cli(['--json', 'reservation', 'show', rid])).stdout);
    const server = await cli(['history', view.servers[0].id]);
    expect(server.stdout).toMatch(/activity\s+spawn on host c[12]\s+attempt 1\s+completed\s+\d/);
    expect(server.stdout).toContain('web ui: http://localhost:8233/namespaces/');
  });

  it('then servers ending in ERROR exit 1, and retry brings them back with exit 0', async () => {
    stack.drivers.c1.failSpawn = 'reschedule';
    stack.drivers.c2.failSpawn = 'reschedule';
    const failed = await cli(['server', 'create', 'db', '--flavor', '1', '--min', '2', '--wait']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('ERROR 2');
    expect(failed.stdout).toContain('Exceeded maximum number of retries');
    const failedRid = /reservation (r-[0-9a-z]{8})/.exec(failed.stdout)![1];
    const shown = await cli(['reservation', 'show', failedRid]);
    expect(shown.code).toBe(1);

    stack.drivers.c1.failSpawn = null;
    stack.drivers.c2.failSpawn = null;
    const retried = await cli(['reservation', 'retry', failedRid, '--wait']);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain('retrying 2 server(s)');
    expect(retried.stdout).toContain('ACTIVE 2');
    const again = await cli(['reservation', 'retry', failedRid]);
    expect(again.stdout.trim()).toBe('nothing to retry');

    const id = JSON.parse((await cli(['--json', 'reservation', 'show', failedRid])).stdout).servers[0].id;
    const conflict = await cli(['server', 'retry', id]);
    expect(conflict.code).toBe(3);
    expect(conflict.stderr).toContain(
      `conflictingRequest (HTTP 409): Cannot 'retry' instance ${id} while it is in vm_state active`,
    );
    const actions = await cli(['server', 'actions', id]);
    expect(actions.stdout).toMatch(/^retry\s+req-/m);
    expect(actions.stdout).toMatch(/^create\s+req-/m);
  });

  it('then API errors, an unreachable API and bad usage have their own exit codes', async () => {
    const missing = await cli(['server', 'show', '00000000-0000-0000-0000-000000000000']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('itemNotFound (HTTP 404)');
    const forbidden = await cli(['history', rid], { NOVAFLOW_TOKEN: 'alice:demo' });
    expect(forbidden.code).toBe(3);
    expect((await cli(['server', 'list', '--url', 'http://127.0.0.1:1'])).code).toBe(4);
    expect((await cli(['server', 'create', 'x'])).code).toBe(2);
    expect((await cli(['server', 'frobnicate'])).code).toBe(2);
    expect((await cli(['--nope'])).code).toBe(2);
  });

  it('then hypervisor list shows the compute hosts', async () => {
    const r = await cli(['hypervisor', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\bc1\s+up\s+enabled/);
    expect(r.stdout).toMatch(/\bc2\s+up\s+enabled/);
    const up = await cli(['hypervisor', 'uptime', 'c1']);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/^c1: .*up/);
  });
});
