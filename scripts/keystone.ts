import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './temporal';

/**
 * The embedded identity service: Keystone from the virtualenv `npm ci` made (.keystone/venv), on
 * SQLite with fernet tokens, served by gunicorn with one worker and one thread (SQLite with several
 * threads answers "database is locked" under parallel load).
 */
const run = promisify(execFile);
const VENV_BIN = path.join(ROOT, '.keystone', 'venv', 'bin');

export interface KeystoneSecrets {
  /** The bootstrap admin's password (user `admin`, project `admin`). */
  admin: string;
  /** The demo member's password (user `demo`, project `demo`). */
  demo: string;
  /** The reader's password (user `demo-reader`, project `demo`, role reader only). */
  reader: string;
  /** novaflow's own service user, which validates callers' tokens (user `novaflow`, project `service`). */
  service: string;
}

export interface KeystoneHome {
  dir: string;
  port: number;
  url: string;
  secrets: KeystoneSecrets;
}

function ensureDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

function keystoneConf(dir: string): string {
  return `# Written by novaflow (scripts/keystone.ts).
[DEFAULT]
use_stderr = true
[database]
connection = sqlite:///${path.join(dir, 'keystone.db')}
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = ${path.join(dir, 'fernet-keys')}
[fernet_receipts]
key_repository = ${path.join(dir, 'fernet-receipts')}
[credential]
key_repository = ${path.join(dir, 'credential-keys')}
`;
}

/**
 * gunicorn reads its settings from gunicorn.conf.py in its working directory: Keystone's config loader
 * parses the process's command line, so gunicorn must be started with no flags of its own.
 */
function gunicornConf(port: number, host: string): string {
  return `# Written by novaflow (scripts/keystone.ts).
bind = "${host}:${port}"
workers = 1
threads = 1
timeout = 60
wsgi_app = "keystone.wsgi.api:application"
`;
}

async function manage(dir: string, ...args: string[]): Promise<void> {
  await run(
    path.join(VENV_BIN, 'keystone-manage'),
    ['--config-file', path.join(dir, 'keystone.conf'), ...args],
    {
      cwd: dir,
    },
  );
}

/**
 * Makes `dir` a Keystone home the first time (config, keys, database, bootstrap of the admin user,
 * roles admin > member > reader, region RegionOne and the identity endpoints); later calls only
 * rewrite the config files and return the secrets kept in `dir/secrets.json` (mode 0600).
 */
export async function prepareKeystone(dir: string, port: number, host = '127.0.0.1'): Promise<KeystoneHome> {
  if (!fs.existsSync(path.join(VENV_BIN, 'keystone-manage'))) {
    throw new Error('novaflow: Keystone is not installed in .keystone/. Run `npm ci` (it installs it).');
  }
  ensureDir(dir);
  const url = `http://${host}:${port}/v3`;
  fs.writeFileSync(path.join(dir, 'keystone.conf'), keystoneConf(dir));
  fs.writeFileSync(path.join(dir, 'gunicorn.conf.py'), gunicornConf(port, host));
  const secretsFile = path.join(dir, 'secrets.json');
  if (fs.existsSync(secretsFile) && fs.existsSync(path.join(dir, 'keystone.db'))) {
    return { dir, port, url, secrets: JSON.parse(fs.readFileSync(secretsFile, 'utf8')) };
  }
  // base64url may begin with '-', which a command line reads as an option (keystone-manage did, and
  // failed one bootstrap in 64): the secrets start with a letter, and go as --option=value.
  const secret = () => `k${randomBytes(18).toString('base64url')}`;
  const secrets: KeystoneSecrets = { admin: secret(), demo: secret(), reader: secret(), service: secret() };
  const owner = [
    '--keystone-user',
    String(process.getuid?.() ?? 0),
    '--keystone-group',
    String(process.getgid?.() ?? 0),
  ];
  await manage(dir, 'db_sync');
  await manage(dir, 'fernet_setup', ...owner);
  await manage(dir, 'credential_setup', ...owner);
  await manage(
    dir,
    'bootstrap',
    `--bootstrap-password=${secrets.admin}`,
    '--bootstrap-region-id',
    'RegionOne',
    ...['admin', 'internal', 'public'].flatMap((i) => [`--bootstrap-${i}-url`, `${url}/`]),
  );
  fs.writeFileSync(secretsFile, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return { dir, port, url, secrets };
}

export interface RunningKeystone {
  url: string;
  process: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts gunicorn on a prepared home and waits until Keystone answers. */
export async function startKeystone(home: KeystoneHome, logFile?: string): Promise<RunningKeystone> {
  const out = logFile ? fs.openSync(logFile, 'a') : 'ignore';
  const child = spawn(path.join(VENV_BIN, 'gunicorn'), [], {
    cwd: home.dir,
    env: { ...process.env, OS_KEYSTONE_CONFIG_FILES: path.join(home.dir, 'keystone.conf') },
    stdio: ['ignore', out, out],
    // Its own process group, so a stop reaches gunicorn's worker too (a killed master leaves it serving).
    detached: true,
  });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-child.pid!, signal);
    } catch {
      child.kill(signal);
    }
    await exited;
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`novaflow: Keystone exited (${child.exitCode}); see ${logFile}`);
    try {
      const res = await fetch(home.url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop('SIGKILL');
      throw new Error(`novaflow: Keystone did not answer on ${home.url} within 60 s`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url: home.url, process: child, stop };
}
