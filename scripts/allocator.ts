import fs from 'node:fs';

/**
 * jemalloc, which the control and admission workers run on where it is installed (Debian's
 * libjemalloc2, installed with QEMU by scripts/install-qemu.js; the image installs it too). A
 * worker's native memory — the Temporal SDK's core, with a workflow for every entity it keeps —
 * fragments under glibc's allocator: on the fleet churn (300 hosts, 300 boot+delete) the control
 * worker's peak RSS was 570 MB on glibc and 396 MB on jemalloc, and the admission worker's (once it
 * kept the host entities) 405 and 309 MB, at the same CPU. `NOVAFLOW_JEMALLOC=0` runs them on glibc's.
 */
export const JEMALLOC_PATHS = [
  '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
  '/usr/lib64/libjemalloc.so.2',
  '/usr/lib/libjemalloc.so.2',
];

/**
 * Node flags of the control and admission workers. V8 grows its old space to up to 4x what survived the
 * last full collection before collecting again; a worker's live heap is small (~70 MB with 370 builds in
 * flight) and its garbage is most of its heap (the control worker's heap reached 300 MB in a create of
 * 1000). At 1.5x the control worker's peak fell 567 -> 434 MB in that create and 300 -> 256 MB in the
 * fleet churn, at the same CPU (bench, 1000 hosts, side by side). Its young generation's semi-spaces
 * (16 MB each by default) are held at 4 MB: a worker's short-lived garbage is small messages, and the
 * fleet churn's peaks fell 262/263 -> 215/218 MB (control) and 360/366 -> 314/329 MB (admission) at the
 * same CPU. `--heap-growing-percent` is not allowed in NODE_OPTIONS: the flags go on the command line
 * (npm start, the bench, docker-compose.yml).
 */
export const WORKER_NODE_FLAGS = ['--heap-growing-percent=50', '--max-semi-space-size=4'];

/** The environment that preloads jemalloc into a child process, or nothing when it is off or absent. */
export function jemallocEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (env.NOVAFLOW_JEMALLOC === '0') return {};
  const lib = JEMALLOC_PATHS.find((p) => fs.existsSync(p));
  if (!lib) return {};
  return { LD_PRELOAD: env.LD_PRELOAD ? `${lib}:${env.LD_PRELOAD}` : lib };
}
