#!/usr/bin/env node
/**
 * Installs Keystone (OpenStack's identity service) and gunicorn, which serves it, into a virtualenv
 * under .keystone/ from the pinned identity/requirements.txt. Runs as npm's postinstall, so `npm ci`
 * leaves the embedded identity service ready on a fresh machine. A second run with the same
 * requirements does nothing. Set KEYSTONE_URL to use a Keystone you already run instead.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const venv = path.join(root, '.keystone', 'venv');
const requirements = path.join(root, 'identity', 'requirements.txt');
const stamp = path.join(venv, '.novaflow-requirements');

function fail(reason) {
  console.error(`
novaflow: could not install Keystone: ${reason}

What to do, any one of:
  - make sure python3 (with its venv module) and pip can reach PyPI, then run: npm run postinstall
  - use a Keystone you already run:  export KEYSTONE_URL=http://host:5000/v3
  - develop without identity:        export NOVAFLOW_AUTH=noauth   (anyone can claim any identity)
`);
  process.exit(1);
}

function main() {
  if (process.env.KEYSTONE_URL) {
    console.log(`novaflow: using the Keystone at KEYSTONE_URL=${process.env.KEYSTONE_URL}`);
    return;
  }
  const wanted = crypto.createHash('sha256').update(fs.readFileSync(requirements)).digest('hex');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === wanted) {
    console.log('novaflow: Keystone already in .keystone/');
    return;
  }
  const started = Date.now();
  try {
    fs.rmSync(venv, { recursive: true, force: true });
    execFileSync('python3', ['-m', 'venv', venv], { stdio: ['ignore', 'inherit', 'pipe'] });
    execFileSync(
      path.join(venv, 'bin', 'pip'),
      ['install', '--quiet', '--disable-pip-version-check', '-r', requirements],
      { stdio: ['ignore', 'inherit', 'pipe'] },
    );
  } catch (err) {
    fail((err.stderr && err.stderr.toString().trim().split('\n').pop()) || err.message);
  }
  for (const bin of ['keystone-manage', 'gunicorn']) {
    if (!fs.existsSync(path.join(venv, 'bin', bin))) fail(`${bin} is missing from ${venv}`);
  }
  fs.writeFileSync(stamp, wanted + '\n');
  console.log(
    `novaflow: installed Keystone into .keystone/ in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}

main();
