import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './temporal';

/**
 * What `npm run cluster` needs on the machine, installed by the project's own files on first use: the
 * Temporal server, its SQL tool and the Web UI server, built from the Go module proxy into .cluster/
 * (git-ignored), and PostgreSQL from the OS packages.
 */
export const TEMPORAL_SERVER_VERSION = 'v1.32.1';
/** The newest Web UI server whose module builds with the machine's Go (newer ones need Go 1.26.10). */
export const UI_SERVER_VERSION = 'v2.54.0';

const CLUSTER = path.join(ROOT, '.cluster');
const BIN = path.join(CLUSTER, 'bin');

/** A line of the cluster's own progress, beside its processes' output. */
export function clusterLog(line: string): void {
  console.log(`cluster   | ${line}`);
}

function goInstall(pkg: string, bin: string, name: string): string {
  const target = path.join(bin, name);
  if (fs.existsSync(target)) return target;
  fs.mkdirSync(bin, { recursive: true });
  clusterLog(`building ${pkg} with go install (once; about 14 min on 2 cores without a module cache) ...`);
  execFileSync('go', ['install', pkg], {
    stdio: 'inherit',
    env: { ...process.env, GOBIN: bin, GOFLAGS: process.env.GOFLAGS ?? '-trimpath' },
  });
  return target;
}

/** The Temporal server and its SQL schema tool, built once. */
export function ensureTemporalServer(): { server: string; sql: string } {
  const server = goInstall(`go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`, BIN, 'server');
  const sql = goInstall(`go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`, BIN, 'sql');
  return { server, sql };
}

/** The Web UI server (its own directory: its binary is also called `server`). */
export function ensureUiServer(): string {
  return goInstall(
    `github.com/temporalio/ui-server/v2/cmd/server@${UI_SERVER_VERSION}`,
    path.join(CLUSTER, 'ui', 'bin'),
    'server',
  );
}

/** PostgreSQL's binaries: the newest version the OS packages installed, installing them if need be. */
export function ensurePostgres(): string {
  const find = () => {
    const base = '/usr/lib/postgresql';
    if (!fs.existsSync(base)) return undefined;
    const versions = fs
      .readdirSync(base)
      .filter((v) => fs.existsSync(path.join(base, v, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a));
    return versions[0] ? path.join(base, versions[0], 'bin') : undefined;
  };
  let bin = find();
  if (bin) return bin;
  if (process.getuid?.() !== 0 || !fs.existsSync('/usr/bin/apt-get')) {
    throw new Error('novaflow: PostgreSQL is not installed; run: sudo apt-get install -y postgresql');
  }
  clusterLog('installing PostgreSQL from the OS packages ...');
  execFileSync('apt-get', ['update'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  bin = find();
  if (!bin) throw new Error('novaflow: PostgreSQL was installed but its binaries were not found');
  return bin;
}
