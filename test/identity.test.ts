import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { KeystoneIdentity } from '../api/identity/keystone';
import { prepareKeystone, startKeystone, type KeystoneHome, type RunningKeystone } from '../scripts/keystone';
import {
  ACCOUNTS,
  addAccount,
  passwordToken,
  seedKeystone,
  writeCloudsYaml,
  type TokenBody,
} from '../scripts/keystone-seed';
import { freePort } from '../scripts/temporal';
import { eventually, startStack, waitForStatus, type Stack } from './support/stack';

/**
 * The API behind the real Keystone the project installs: tokens validated and cached, roles and
 * policy, and one project never reaching another's resources. Tokens are issued once per account
 * (a password login costs Keystone ~0.4 s) and reused.
 */
const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const CACHE_SECONDS = 2;
let home: KeystoneHome;
let keystone: RunningKeystone;
let stack: Stack;
const tokens: Record<string, { token: string; body: TokenBody }> = {};
const OTHER = { user: 'other-member', project: 'other', role: 'member', password: 'other-secret-1' };

async function login(name: 'admin' | 'demo' | 'reader' | 'other') {
  if (name === 'other') return passwordToken(home.url, OTHER);
  return passwordToken(home.url, { ...ACCOUNTS[name], password: home.secrets[name] });
}

beforeAll(async () => {
  const dir = path.join(process.env.NOVAFLOW_TEST_DIR!, `keystone-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  home = await prepareKeystone(dir, await freePort());
  keystone = await startKeystone(home, path.join(dir, 'keystone.log'));
  const identity = new KeystoneIdentity({
    url: home.url,
    service: {
      user: ACCOUNTS.service.user,
      password: home.secrets.service,
      project: ACCOUNTS.service.project,
    },
    cacheSeconds: CACHE_SECONDS,
  });
  stack = await startStack({ hosts: [{ name: 'k1' }], identity });
  await seedKeystone(home, `${stack.url}/v2.1`);
  await addAccount(home, OTHER);
  for (const name of ['admin', 'demo', 'reader', 'other'] as const) tokens[name] = await login(name);
}, 120_000);

afterAll(async () => {
  await stack?.shutdown();
  await keystone?.stop();
});

const as = (who: string) => tokens[who].token;
const create = (who: string, name: string) =>
  stack.api('POST', '/v2.1/servers', {
    token: as(who),
    body: { server: { name, flavorRef: '1', imageRef: IMAGE } },
  });

describe('when callers present Keystone tokens', () => {
  it('then readiness checks Keystone as well as Temporal, with no token needed', async () => {
    const ready = await stack.api('GET', '/readyz', { token: null });
    expect(ready).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { temporal: { status: 'ok' }, keystone: { status: 'ok' } } },
    });
  });

  it("then a member's server carries Keystone's user and project ids", async () => {
    const created = await create('demo', 'ks-1');
    expect(created.status).toBe(202);
    const server = await waitForStatus(stack, created.body.server.id, ['ACTIVE'], as('demo'));
    expect(server.user_id).toBe(tokens.demo.body.token.user.id);
    expect(server.tenant_id).toBe(tokens.demo.body.token.project!.id);
  });

  it('then a missing, made-up or oversized token gets 401 naming Keystone, and nothing is created', async () => {
    for (const token of [null, 'not-a-token', 'gAAAAAB' + 'x'.repeat(200), 'y'.repeat(9000)]) {
      const r = await stack.api('POST', '/v2.1/servers', {
        token,
        body: { server: { name: 'nope', flavorRef: '1', imageRef: IMAGE } },
      });
      expect(r.status).toBe(401);
      expect(r.body.unauthorized.message).toBe('The request you have made requires authentication.');
      expect(r.headers.get('www-authenticate')).toBe(`Keystone uri="${home.url.replace(/\/v3$/, '')}"`);
    }
    const noauth = await stack.api('GET', '/v2.1/servers', { token: 'admin:admin' });
    expect(noauth.status).toBe(401);
    const all = await stack.api('GET', '/v2.1/servers?all_tenants=1', { token: as('admin') });
    expect(all.body.servers.filter((s: { name: string }) => s.name === 'nope')).toEqual([]);
  });

  it('then a revoked token is refused once the cache bound has passed', async () => {
    const fresh = await login('demo');
    expect((await stack.api('GET', '/v2.1/servers', { token: fresh.token })).status).toBe(200);
    const revoke = await fetch(`${home.url}/auth/tokens`, {
      method: 'DELETE',
      headers: { 'X-Auth-Token': as('admin'), 'X-Subject-Token': fresh.token },
    });
    expect(revoke.status).toBe(204);
    await new Promise((r) => setTimeout(r, CACHE_SECONDS * 1000 + 500));
    expect((await stack.api('GET', '/v2.1/servers', { token: fresh.token })).status).toBe(401);
  });
});

describe('when roles meet policy', () => {
  it('then a reader reads but may not create, delete or act, with Nova 403 bodies', async () => {
    const created = await create('demo', 'ks-read');
    const id = created.body.server.id;
    expect((await stack.api('GET', `/v2.1/servers/${id}`, { token: as('reader') })).status).toBe(200);
    expect((await stack.api('GET', '/v2.1/servers/detail', { token: as('reader') })).status).toBe(200);
    const refused = await create('reader', 'ks-no');
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({
      forbidden: {
        code: 403,
        message: "Policy doesn't allow os_compute_api:servers:create to be performed.",
      },
    });
    const actions: [string, string][] = [
      ['reboot', 'os_compute_api:servers:reboot'],
      ['os-stop', 'os_compute_api:servers:stop'],
      ['os-start', 'os_compute_api:servers:start'],
      ['retry', 'novaflow:servers:retry'],
      ['os-getConsoleOutput', 'os_compute_api:os-console-output'],
    ];
    for (const [action, rule] of actions) {
      const body = {
        [action]: action === 'reboot' ? { type: 'SOFT' } : action === 'os-getConsoleOutput' ? {} : null,
      };
      const r = await stack.api('POST', `/v2.1/servers/${id}/action`, { token: as('reader'), body });
      expect([action, r.status, r.body.forbidden?.message]).toEqual([
        action,
        403,
        `Policy doesn't allow ${rule} to be performed.`,
      ]);
    }
    expect((await stack.api('DELETE', `/v2.1/servers/${id}`, { token: as('reader') })).status).toBe(403);
    // The member may: the same server, stopped by its project's member.
    await waitForStatus(stack, id, ['ACTIVE'], as('demo'));
    const stop = await stack.api('POST', `/v2.1/servers/${id}/action`, {
      token: as('demo'),
      body: { 'os-stop': null },
    });
    expect(stop.status).toBe(202);
  });

  it('then every admin API refuses a member and serves an admin', async () => {
    const demoProject = tokens.demo.body.token.project!.id;
    const adminApis: [string, string, unknown?][] = [
      ['GET', '/v2.1/os-services'],
      ['GET', '/v2.1/os-hypervisors'],
      ['GET', '/v2.1/os-hypervisors/detail'],
      ['GET', '/v2.1/servers?all_tenants=1'],
      ['GET', '/v2.1/servers/detail?all_tenants=1'],
      ['GET', '/v2.1/os-server-groups?all_projects=1'],
      ['GET', `/v2.1/os-workflows/${encodeURIComponent(`quota/${demoProject}`)}/history`],
      ['PUT', `/v2.1/os-quota-sets/${demoProject}`, { quota_set: { instances: 20 } }],
    ];
    for (const [method, p, body] of adminApis) {
      const member = await stack.api(method, p, { token: as('demo'), body });
      expect([p, member.status]).toEqual([p, 403]);
      expect(member.body.forbidden.message).toMatch(/^Policy doesn't allow \S+ to be performed\.$/);
      const admin = await stack.api(method, p, { token: as('admin'), body });
      expect([p, admin.status]).toEqual([p, 200]);
    }
  });
});

describe("when another project's member names this project's resources", () => {
  it('then every route that takes an id answers as if they did not exist, and nothing changes', async () => {
    const created = await stack.api('POST', '/v2.1/servers', {
      token: as('demo'),
      body: { server: { name: 'ks-mine', flavorRef: '1', imageRef: IMAGE, return_reservation_id: true } },
    });
    expect(created.status).toBe(202);
    const rid = created.body.reservation_id;
    const server = await eventually(async () => {
      const r = await stack.api('GET', `/v2.1/servers?reservation_id=${rid}`, { token: as('demo') });
      return r.body.servers?.[0];
    });
    await waitForStatus(stack, server.id, ['ACTIVE'], as('demo'));
    const actions = await stack.api('GET', `/v2.1/servers/${server.id}/os-instance-actions`, {
      token: as('demo'),
    });
    const requestId = actions.body.instanceActions[0].request_id;
    const group = await stack.api('POST', '/v2.1/os-server-groups', {
      token: as('demo'),
      body: { server_group: { name: 'ks-group', policies: ['anti-affinity'] } },
    });
    const gid = group.body.server_group.id;
    const demoProject = tokens.demo.body.token.project!.id;

    const probes: [string, string, unknown?][] = [
      ['GET', `/v2.1/servers/${server.id}`],
      ['POST', `/v2.1/servers/${server.id}/action`, { 'os-stop': null }],
      ['POST', `/v2.1/servers/${server.id}/action`, { 'os-getConsoleOutput': {} }],
      ['GET', `/v2.1/servers/${server.id}/os-instance-actions`],
      ['GET', `/v2.1/servers/${server.id}/os-instance-actions/${requestId}`],
      ['DELETE', `/v2.1/servers/${server.id}`],
      ['GET', `/v2.1/os-reservations/${rid}`],
      ['GET', `/v2.1/os-reservations/${rid}/events`],
      ['POST', `/v2.1/os-reservations/${rid}/action`, { retry: null }],
      ['GET', `/v2.1/os-server-groups/${gid}`],
      ['DELETE', `/v2.1/os-server-groups/${gid}`],
    ];
    for (const [method, p, body] of probes) {
      const r = await stack.api(method, p, { token: as('other'), body });
      expect([method, p, r.status]).toEqual([method, p, 404]);
    }
    for (const p of [`/v2.1/os-quota-sets/${demoProject}`, `/v2.1/os-quota-sets/${demoProject}/detail`]) {
      expect((await stack.api('GET', p, { token: as('other') })).status).toBe(403);
    }
    const list = await stack.api('GET', '/v2.1/servers/detail', { token: as('other') });
    expect(list.body.servers.map((s: { id: string }) => s.id)).not.toContain(server.id);
    const still = await stack.api('GET', `/v2.1/servers/${server.id}`, { token: as('demo') });
    expect(still.body.server.status).toBe('ACTIVE');
    expect((await stack.api('GET', `/v2.1/os-server-groups/${gid}`, { token: as('demo') })).status).toBe(200);
  });
});

describe('when Keystone is down', () => {
  it('then a token not seen yet gets 503 (never a pass, never a 500), a cached one still works, and all recovers', async () => {
    const unseen = await login('demo');
    const seen = await login('reader');
    expect((await stack.api('GET', '/v2.1/servers', { token: seen.token })).status).toBe(200);
    await keystone.stop('SIGKILL');
    const down = await stack.api('GET', '/v2.1/servers', { token: unseen.token });
    expect(down.status).toBe(503);
    expect(down.body.serviceUnavailable.message).toMatch(/identity service is not available/);
    expect((await stack.api('GET', '/v2.1/servers', { token: seen.token })).status).toBe(200);
    keystone = await startKeystone(home, path.join(home.dir, 'keystone.log'));
    expect((await stack.api('GET', '/v2.1/servers', { token: unseen.token })).status).toBe(200);
  });
});

/** Runs the real CLI binary with only the environment given (no NOVAFLOW_TOKEN to fall back on). */
function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = path.join(__dirname, '..', 'bin', 'novaflow.js');
  const base = { PATH: process.env.PATH!, HOME: home.dir };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { ...base, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 99) : 0;
        resolve({ code: typeof code === 'number' ? code : 99, stdout, stderr });
      },
    );
  });
}

describe('when the novaflow CLI logs in like an OpenStack client', () => {
  it('then clouds.yaml (--os-cloud) or the OS_* variables get a token and the compute endpoint from the catalog', async () => {
    const clouds = path.join(home.dir, 'clouds.yaml');
    writeCloudsYaml(clouds, home);
    const byCloud = await cli(['--os-cloud', 'novaflow', '--json', 'server', 'list'], {
      OS_CLIENT_CONFIG_FILE: clouds,
    });
    expect(byCloud.stderr).toBe('');
    expect(byCloud.code).toBe(0);
    expect(JSON.parse(byCloud.stdout).map((s: { name: string }) => s.name)).toContain('ks-1');

    const byEnv = await cli(['--json', 'server', 'list'], {
      OS_AUTH_URL: home.url.replace(/\/v3$/, ''),
      OS_USERNAME: ACCOUNTS.reader.user,
      OS_PASSWORD: home.secrets.reader,
      OS_PROJECT_NAME: ACCOUNTS.reader.project,
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
    });
    expect(byEnv.code).toBe(0);
    expect(JSON.parse(byEnv.stdout).map((s: { name: string }) => s.name)).toContain('ks-1');

    const readerCreate = await cli(
      ['--os-cloud', 'novaflow-reader', 'server', 'create', 'x', '--flavor', '1'],
      {
        OS_CLIENT_CONFIG_FILE: clouds,
      },
    );
    expect(readerCreate.code).toBe(3);
    expect(readerCreate.stderr).toMatch(/Policy doesn't allow os_compute_api:servers:create/);

    const wrong = await cli(['server', 'list'], {
      OS_AUTH_URL: home.url,
      OS_USERNAME: 'demo',
      OS_PASSWORD: 'wrong',
      OS_PROJECT_NAME: 'demo',
    });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/Keystone refused the login \(401\)/);
    const none = await cli(['server', 'list'], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no credentials/);
  });
});
