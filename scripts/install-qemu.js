#!/usr/bin/env node
/**
 * Installs what the qemu virt driver boots with, from the OS packages: QEMU (qemu-system-x86), a
 * Linux kernel (linux-image-cloud-amd64) and a static busybox (busybox-static), the parts of the
 * default guest image `npm run guest-image` then builds; and jemalloc (libjemalloc2), the allocator
 * the control worker runs on (scripts/allocator.ts). Runs as npm's postinstall: on Debian as root
 * it installs them with apt; elsewhere it says what is missing and how to get it. A machine that has
 * them all is left alone. NOVAFLOW_SKIP_QEMU=1 skips it (the qemu driver's tests then fail).
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');

const PACKAGES = ['qemu-system-x86', 'linux-image-cloud-amd64', 'busybox-static', 'libjemalloc2'];
/** Where Debian puts jemalloc (scripts/allocator.ts looks in the same places). */
const JEMALLOC = [
  '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
];

function has(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    return err.stdout || err.stderr ? String(err.stdout) + String(err.stderr) : null;
  }
}

function missing() {
  const out = [];
  if (!has('qemu-system-x86_64', ['--version'])) out.push('qemu-system-x86');
  if (!fs.existsSync('/boot') || !fs.readdirSync('/boot').some((f) => f.startsWith('vmlinuz-')))
    out.push('linux-image-cloud-amd64');
  const ldd = fs.existsSync('/bin/busybox') ? has('ldd', ['/bin/busybox']) : null;
  if (!ldd || !/not a dynamic executable|statically linked/.test(ldd)) out.push('busybox-static');
  if (!JEMALLOC.some((p) => fs.existsSync(p))) out.push('libjemalloc2');
  return out;
}

function main() {
  if (process.env.NOVAFLOW_SKIP_QEMU === '1') {
    console.log('novaflow: NOVAFLOW_SKIP_QEMU=1: the qemu driver is not installed');
    return;
  }
  const need = missing();
  if (need.length === 0) {
    console.log('novaflow: QEMU, a kernel, busybox-static and jemalloc are installed');
    return;
  }
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !has('apt-get', ['--version'])) {
    console.warn(`
novaflow: the qemu driver (and the control worker's allocator) need ${need.join(', ')}; install them as root with
  apt-get update && apt-get install -y --no-install-recommends ${PACKAGES.join(' ')}
then run: npm run guest-image   (the fake and process drivers work without them)
`);
    return;
  }
  console.log(`novaflow: installing ${need.join(', ')} with apt (once; ~2 min)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...PACKAGES], {
    stdio: 'inherit',
    env,
  });
  const still = missing();
  if (still.length) {
    console.error(`novaflow: apt installed the packages, yet ${still.join(', ')} is still missing`);
    process.exit(1);
  }
}

main();
