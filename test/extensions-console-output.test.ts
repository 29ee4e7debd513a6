import { fakeBootLog } from '../drivers/fake';
import { composeExtensions } from '../extensions/compose';
import { consoleOutputExtension } from '../extensions/os-console-output';
import { hypervisorsExtension } from '../extensions/os-hypervisors';
import type { NovaExtension } from '../extensions/types';
import { eventually, startStack, waitForStatus, type Stack } from './support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const ADMIN = 'admin:admin';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    hosts: [
      { name: 'co-full', availabilityZone: 'az-full' },
      { name: 'co-min', availabilityZone: 'az-min', driver: { capabilities: [] } },
      { name: 'co-broken', availabilityZone: 'az-broken', driver: { failSpawn: 'abort' } },
      { name: 'co-doomed', availabilityZone: 'az-doomed' },
    ],
  });
});
afterAll(async () => {
  await stack?.shutdown();
});

async function createServer(name: string, zone: string, statuses = ['ACTIVE']): Promise<string> {
  const r = await stack.api('POST', '/v2.1/servers', {
    body: { server: { name, imageRef: IMAGE, flavorRef: '1', availability_zone: zone } },
  });
  expect(r.status).toBe(202);
  await waitForStatus(stack, r.body.server.id, statuses);
  return r.body.server.id;
}

function consoleOutput(id: string, args: unknown = {}, token?: string) {
  return stack.api('POST', `/v2.1/servers/${id}/action`, { token, body: { 'os-getConsoleOutput': args } });
}

describe('when the console of an ACTIVE server is read', () => {
  let id: string;
  beforeAll(async () => {
    id = await createServer('console-a', 'az-full');
  });

  it("then the output comes from its host's driver and shows the boot line", async () => {
    const r = await consoleOutput(id);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ output: fakeBootLog('console-a', IMAGE).join('\n') });
  });

  it('then length keeps the last lines; -1 and null give all, 0 none; a digit string counts', async () => {
    for (const type of ['SOFT', 'HARD']) {
      await eventually(async () => {
        const r = await stack.api('POST', `/v2.1/servers/${id}/action`, { body: { reboot: { type } } });
        return r.status === 202 ? true : undefined;
      });
      await waitForStatus(stack, id, ['ACTIVE']);
    }
    const all = await eventually(async () => {
      const r = await consoleOutput(id, { length: null });
      return r.body.output?.split('\n').length === 6 ? r.body.output : undefined;
    });
    expect(all).toBe([...fakeBootLog('console-a', IMAGE), 'soft reboot', 'hard reboot'].join('\n'));
    expect((await consoleOutput(id, { length: 1 })).body.output).toBe('hard reboot');
    expect((await consoleOutput(id, { length: '2' })).body.output).toBe('soft reboot\nhard reboot');
    expect((await consoleOutput(id, { length: -1 })).body.output).toBe(all);
    expect((await consoleOutput(id, { length: 0 })).body.output).toBe('');
  });

  it('then a length that is not an integer >= -1 is a 400', async () => {
    for (const length of ['abc', -2, 1.5, true]) {
      const r = await consoleOutput(id, { length });
      expect(r.status).toBe(400);
      expect(r.body.badRequest.message).toContain('os-getConsoleOutput/length');
    }
    const extra = await consoleOutput(id, { length: 1, lines: 2 });
    expect(extra.status).toBe(400);
  });

  it("then another project's caller gets 404 and an admin gets the output", async () => {
    const other = await consoleOutput(id, {}, 'mallory:other');
    expect(other.status).toBe(404);
    expect(other.body.itemNotFound.message).toBe(`Instance ${id} could not be found.`);
    expect((await consoleOutput(id, {}, ADMIN)).status).toBe(200);
    expect((await consoleOutput('00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});

describe('when the server is not ACTIVE', () => {
  it('then a SHUTOFF server is 409 naming its vm_state', async () => {
    const id = await createServer('console-off', 'az-full');
    const stop = await stack.api('POST', `/v2.1/servers/${id}/action`, { body: { 'os-stop': null } });
    expect(stop.status).toBe(202);
    await waitForStatus(stack, id, ['SHUTOFF']);
    const r = await consoleOutput(id);
    expect(r.status).toBe(409);
    expect(r.body.conflictingRequest.message).toBe(
      `Cannot 'get_console_output' instance ${id} while it is in vm_state stopped`,
    );
  });

  it('then a server in ERROR is 409 naming its vm_state', async () => {
    const id = await createServer('console-err', 'az-broken', ['ERROR']);
    const r = await consoleOutput(id);
    expect(r.status).toBe(409);
    expect(r.body.conflictingRequest.message).toBe(
      `Cannot 'get_console_output' instance ${id} while it is in vm_state error`,
    );
  });
});

describe("when the server's host cannot read consoles", () => {
  it('then a driver without the console-output capability answers 501 notImplemented', async () => {
    const id = await createServer('console-min', 'az-min');
    const r = await consoleOutput(id);
    expect(r.status).toBe(501);
    expect(r.body.notImplemented.message).toBe('The requested functionality is not supported.');
  });

  it('then a host whose node died fails fast with 409, naming no host', async () => {
    const id = await createServer('console-doomed', 'az-doomed');
    await stack.stopNode('co-doomed');
    const started = Date.now();
    const r = await consoleOutput(id);
    expect(r.status).toBe(409);
    expect(r.body.conflictingRequest.message).toBe(`Instance ${id} is not ready`);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('when os-console-output is not loaded', () => {
  it('then the action is a 400 "There is no such action"', async () => {
    const bare = await startStack({ hosts: [{ name: 'co-bare' }], extensions: [hypervisorsExtension] });
    try {
      const r = await bare.api('POST', '/v2.1/servers/00000000-0000-4000-8000-000000000000/action', {
        body: { 'os-getConsoleOutput': {} },
      });
      expect(r.status).toBe(400);
      expect(r.body.badRequest.message).toBe('There is no such action: os-getConsoleOutput');
    } finally {
      await bare.shutdown();
    }
  });
});

describe('when extensions add server actions', () => {
  const withAction = (alias: string, name: string): NovaExtension => ({
    descriptor: { name: alias, alias, description: '', updated: '2024-01-01T00:00:00Z' },
    api: { serverActions: { [name]: async () => ({ status: 202 }) } },
  });

  it('then two extensions taking one action key fail composition', () => {
    expect(() =>
      composeExtensions([consoleOutputExtension, withAction('x-dup', 'os-getConsoleOutput')]),
    ).toThrow('server action "os-getConsoleOutput" is already registered');
  });

  it("then an extension taking a core action's key fails composition", () => {
    expect(() => composeExtensions([withAction('x-reboot', 'reboot')])).toThrow(
      'server action "reboot" is a core action',
    );
  });
});
