import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ROOT, temporalBinary } from '../scripts/temporal';
import { runFloor, startFloorWorkers, type FloorWorkers } from './floor';
import { novaApi, round } from './measure';
import { renderMarkdown, type BenchResults } from './report';
import { runAdmission, runChurn, runCreate, unlimitedQuota, type ScenarioContext } from './scenarios';
import {
  BENCH_NAMESPACE,
  cpuSeconds,
  peakRssMb,
  resetPeakRss,
  startBenchStack,
  type BenchStack,
} from './stack';
import { runVms, VM_HOST, VM_ZONE } from './vms';
import { planCosts, readCosts } from './fleet';
import type { FleetResults } from './report';

/**
 * `npm run bench [-- --quick]`: starts its own stack, runs every scenario, prints progress and writes
 * bench/results/latest.json and latest.md. Every comparison is a ratio measured within this one run.
 */
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    // Overrides for experiments: `--sizes 100 --callers 16 --churn 0 --dc history.cacheMaxSize=8192`.
    sizes: { type: 'string' },
    callers: { type: 'string' },
    churn: { type: 'string' },
    dc: { type: 'string', multiple: true },
    out: { type: 'string' },
    // Real VMs on a qemu host in one request (0: none).
    vms: { type: 'string' },
    // Only the fleet scenarios (issue 16), with their sizes.
    fleet: { type: 'boolean', default: false },
    'fleet-hosts': { type: 'string' },
    'fleet-churn': { type: 'string' },
    'fleet-sizes': { type: 'string' },
  },
});
const QUICK = values.quick ?? false;
const list = (s: string | undefined, def: number[]) =>
  s === undefined ? def : s.split(',').filter(Boolean).map(Number);
// Enough requests per admission level that p99 is not just the slowest one or two.
const BASE = QUICK
  ? {
      sizes: [10, 100],
      callers: [1, 16],
      perCaller: 4,
      minRequests: 32,
      maxRequests: 64,
      churn: 40,
      churnCallers: 10,
    }
  : {
      sizes: [10, 100, 1000],
      callers: [1, 16, 64],
      perCaller: 15,
      minRequests: 100,
      maxRequests: 320,
      churn: 200,
      churnCallers: 20,
    };
const PLAN = {
  ...BASE,
  sizes: list(values.sizes, BASE.sizes),
  callers: list(values.callers, BASE.callers),
  churn: values.churn === undefined ? BASE.churn : Number(values.churn),
};
const HOSTS = ['bench-1', 'bench-2', 'bench-3'];
/** Boot+delete iterations of the fleet's one-caller run. */
const FLEET_SINGLE = 30;

/** Only the fleet scenarios: `npm run bench -- --fleet`. */
const FLEET_ONLY = values.fleet ?? false;
/** Nova's published scale test: 1000 fake compute nodes, Rally boot-and-delete at concurrency 50. */
const FLEET = {
  hosts: values['fleet-hosts'] === undefined ? (QUICK ? 200 : 1000) : Number(values['fleet-hosts']),
  callers: 50,
  churn: values['fleet-churn'] === undefined ? (QUICK ? 100 : 500) : Number(values['fleet-churn']),
  sizes: list(values['fleet-sizes'], QUICK ? [100, 1000] : [100, 10_000]),
};
const VMS = values.vms === undefined ? (QUICK ? 5 : 20) : Number(values.vms);
const VM_STATE = path.join(ROOT, '.data', 'bench-qemu');
/** Where results go: bench/results/latest.{json,md} unless --out names another path prefix. */
const OUT = values.out ?? path.join(ROOT, 'bench', 'results', 'latest');

/**
 * Runs phases and writes, by phase name, the CPU seconds each process spent in it and its peak RSS
 * while it ran; `processes()` then gives each process's peak over the whole run and its CPU seconds.
 */
function phases(
  procs: { name: string; pid: number }[],
  cpuInto: Record<string, Record<string, number>>,
  rssInto: Record<string, Record<string, number | null>>,
) {
  // Peaks before the phases (start-up) and of the phases whose peak was reset since.
  const peaks = new Map<number, number>();
  const keepPeak = (pid: number) => {
    const mb = peakRssMb(pid);
    if (mb !== null) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, mb));
    return mb;
  };
  const run = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const before = procs.map((p) => cpuSeconds(p.pid) ?? 0);
    const reset = procs.map((p) => {
      keepPeak(p.pid);
      return resetPeakRss(p.pid);
    });
    try {
      return await fn();
    } finally {
      cpuInto[name] = Object.fromEntries(
        procs.map((p, i) => [p.name, round((cpuSeconds(p.pid) ?? 0) - before[i], 2)]),
      );
      rssInto[name] = Object.fromEntries(procs.map((p, i) => [p.name, reset[i] ? keepPeak(p.pid) : null]));
    }
  };
  const processes = () =>
    procs.map((p) => {
      keepPeak(p.pid);
      return { name: p.name, peakRssMb: peaks.get(p.pid) ?? null, cpuSeconds: cpuSeconds(p.pid) };
    });
  return { run, processes };
}

/** Thrown to leave out the pipeline stack when only the fleet runs. */
const SKIP = Symbol('skip');

const t0 = Date.now();
function log(line: string) {
  console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}`);
}

function machine(): BenchResults['machine'] {
  let temporal = 'temporal CLI';
  try {
    temporal = execFileSync(temporalBinary(), ['--version']).toString().trim();
  } catch {
    /* the version is decoration only */
  }
  return {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    temporal,
  };
}

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const errors: string[] = [];
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    quick: QUICK,
    dynamicConfig: values.dc ?? [],
    machine: machine(),
    sizes: [],
    admission: [],
    churn: null,
    processes: [],
    cpuByPhase: {},
    rssByPhase: {},
    targets: [],
    errors,
  };
  let stack: BenchStack | undefined;
  let floor: FloorWorkers | undefined;
  try {
    if (FLEET_ONLY) throw SKIP;
    stack = await startBenchStack({
      dir: path.join(ROOT, '.data', 'bench'),
      hosts: HOSTS,
      log,
      dynamicConfig: values.dc,
      ...(VMS > 0 ? { qemu: { host: VM_HOST, zone: VM_ZONE, stateDir: VM_STATE } } : {}),
    });
    const s = stack;
    floor = await startFloorWorkers(s.address, BENCH_NAMESPACE);
    log(`stack up: Temporal ${s.address}, API ${s.apiUrl}, hosts ${HOSTS.join(', ')}`);
    const api = novaApi(s.apiUrl);
    const ctx: ScenarioContext = {
      api,
      client: s.client,
      error(where, err) {
        const msg = `${where}: ${err instanceof Error ? err.message : String(err)}`;
        if (errors.length < 50) console.error(`  error ${msg}`);
        errors.push(msg);
      },
      async hostAllocations() {
        return (await s.hostStates()).reduce((n, h) => n + Object.keys(h.allocations).length, 0);
      },
    };
    for (const p of ['bench-create', 'bench-admission', 'bench-churn', 'bench-vms'])
      await unlimitedQuota(api, p);

    // CPU time of every process per phase shows which one a scenario waits on.
    const procs = [...s.processes, { name: 'bench', pid: process.pid }];
    const { run: phase, processes } = phases(procs, results.cpuByPhase, results.rssByPhase);

    // Churn first: it needs hosts with nothing allocated, so "back to zero" means zero.
    if (PLAN.churn > 0) {
      log(`churn: ${PLAN.churn} servers created and deleted by ${PLAN.churnCallers} callers ...`);
      results.churn = await phase('churn', () => runChurn(ctx, 'bench-churn', PLAN.churn, PLAN.churnCallers));
      const c = results.churn;
      log(
        `churn: ${c.seconds} s, ${c.serversPerSecond} servers/s, ${c.errors} errors, quota left ` +
          `${JSON.stringify(c.quotaLeft)}, host allocations left ${c.hostAllocationsLeft}`,
      );
    }

    log('warm-up ...');
    await runFloor(s.client, 10, 'warm');
    await runCreate(ctx, 'bench-create', 10);

    for (const callers of PLAN.callers) {
      const total = Math.max(PLAN.minRequests, Math.min(callers * PLAN.perCaller, PLAN.maxRequests));
      log(`admission: ${callers} caller(s), ${total} requests ...`);
      const a = await phase(`admission x${callers}`, () =>
        runAdmission(ctx, 'bench-admission', callers, total),
      );
      results.admission.push(a);
      log(
        `admission x${callers}: POST p50 ${a.post.p50Ms} ms p99 ${a.post.p99Ms} ms (${a.post.perSecond}/s); ` +
          `bare start p50 ${a.bareStart.p50Ms} ms p99 ${a.bareStart.p99Ms} ms (${a.bareStart.perSecond}/s); ` +
          `p99 ratio ${a.p99Ratio}`,
      );
    }

    for (const n of PLAN.sizes) {
      log(`floor N=${n} ...`);
      const fl = await phase(`floor ${n}`, () => runFloor(s.client, n, 'run'));
      log(`floor N=${n}: ${fl.seconds.toFixed(2)} s, ${fl.history.eventsPer} events/child`);
      log(`create N=${n} ...`);
      const cr = await phase(`create ${n}`, () => runCreate(ctx, 'bench-create', n));
      const ratio = round(cr.seconds / fl.seconds, 2);
      results.sizes.push({ n, floor: fl, create: cr, ratio });
      log(
        `create N=${n}: ${cr.seconds.toFixed(2)} s (${ratio}x floor), ${(cr.secondsPerServer * 1000).toFixed(1)} ms/server, ` +
          `${cr.history.eventsPer} events and ${(cr.history.bytesPer / 1024).toFixed(1)} KB history/server`,
      );
    }

    if (VMS > 0) {
      log(`vms: ${VMS} real VMs in one request on ${VM_HOST} (qemu), beside the fake driver ...`);
      const v = await phase('vms', () => runVms(ctx, 'bench-vms', VMS, VM_STATE));
      results.vms = v;
      log(
        `vms: ${v.n} ACTIVE in ${v.seconds} s (${v.hypervisor}; fake driver ${v.fakeSeconds} s); guest boot p50 ` +
          `${v.guestBoot.p50} s; ${v.cpuSecondsPerBoot} CPU s per boot; RSS ${v.rssMb.mean} MB per VM`,
      );
    }

    results.processes = processes();
  } catch (err) {
    if (err !== SKIP) {
      errors.push(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      console.error(err);
    }
  } finally {
    await floor?.shutdown().catch(() => undefined);
    await stack?.stop();
  }
  if (FLEET.hosts > 0) results.fleet = await runFleetStack(errors);

  results.targets = targets(results);
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(`${OUT}.json`, JSON.stringify(results, null, 2) + '\n');
  const md = renderMarkdown(results);
  fs.writeFileSync(`${OUT}.md`, md);
  console.log('\n' + md);
  log(`wrote ${path.relative(ROOT, OUT)}.json and .md`);
  process.exit(errors.length > 0 ? 1 : 0);
}

/**
 * The fleet scenarios on a stack of their own: one fleet process of FLEET.hosts fake hosts (one worker,
 * one heartbeat), Nova's boot-and-delete at concurrency 50, creates of growing size, plan and read
 * costs against the number of hosts, and every process's memory.
 */
async function runFleetStack(errors: string[]): Promise<FleetResults> {
  const out: FleetResults = {
    hosts: FLEET.hosts,
    callers: FLEET.callers,
    registerSeconds: null,
    plan: planCosts(),
    read: null,
    churn: null,
    single: null,
    sizes: [],
    processes: [],
    cpuByPhase: {},
    rssByPhase: {},
  };
  log(
    `fleet: plan cost ${out.plan.map((p) => `${p.hosts} hosts ${p.oneMs}/${p.hundredMs} ms`).join(', ')} (1/100 servers)`,
  );
  let stack: BenchStack | undefined;
  const started = Date.now();
  try {
    stack = await startBenchStack({
      dir: path.join(ROOT, '.data', 'bench-fleet'),
      hosts: [],
      fleet: { service: 'fleet', hosts: FLEET.hosts },
      maxCount: Math.max(1000, ...FLEET.sizes),
      log,
      dynamicConfig: values.dc,
    });
    const s = stack;
    out.registerSeconds = round((Date.now() - started) / 1000, 1);
    log(`fleet: ${FLEET.hosts} hosts up in ${out.registerSeconds} s (dev server start included)`);
    const api = novaApi(s.apiUrl);
    const ctx: ScenarioContext = {
      api,
      client: s.client,
      error(where, err) {
        const msg = `fleet ${where}: ${err instanceof Error ? err.message : String(err)}`;
        if (errors.length < 50) console.error(`  error ${msg}`);
        errors.push(msg);
      },
      async hostAllocations() {
        return (await s.hostStates()).reduce((n, h) => n + Object.keys(h.allocations).length, 0);
      },
    };
    for (const p of ['bench-fleet', 'bench-fleet-create']) await unlimitedQuota(api, p);
    out.read = await readCosts(s.client);
    log(
      `fleet: one read of ${out.read.hosts} hosts: listing ${out.read.listingMs} ms, queries ${out.read.queriesMs} ms`,
    );
    const procs = [...s.processes, { name: 'bench', pid: process.pid }];
    const { run: phase, processes } = phases(procs, out.cpuByPhase, out.rssByPhase);
    if (FLEET.churn > 0) {
      // One caller first: what a boot takes with nothing queued before it (the 50 callers' boot median
      // is mostly queueing: 50 callers over r boot+deletes a second wait ~50/r s per iteration).
      log(`fleet single: ${FLEET_SINGLE} boot+delete by 1 caller on ${FLEET.hosts} hosts ...`);
      out.single = await phase('single', () => runChurn(ctx, 'bench-fleet', FLEET_SINGLE, 1));
      log(
        `fleet single: boot p50 ${out.single.boot.p50} s p95 ${out.single.boot.p95} s, delete p50 ${out.single.delete.p50} s`,
      );
      log(`fleet churn: ${FLEET.churn} boot+delete by ${FLEET.callers} callers on ${FLEET.hosts} hosts ...`);
      out.churn = await phase('churn', () => runChurn(ctx, 'bench-fleet', FLEET.churn, FLEET.callers));
      const c = out.churn;
      log(
        `fleet churn: ${c.serversPerSecond}/s, boot p50 ${c.boot.p50} s p95 ${c.boot.p95} s, delete p50 ` +
          `${c.delete.p50} s; ${c.errors} errors; quota left ${JSON.stringify(c.quotaLeft)}, allocations left ${c.hostAllocationsLeft}`,
      );
    }
    for (const n of FLEET.sizes) {
      log(`fleet create N=${n} ...`);
      const cr = await phase(`create ${n}`, () => runCreate(ctx, 'bench-fleet-create', n));
      out.sizes.push(cr);
      log(
        `fleet create N=${n}: ${cr.seconds.toFixed(2)} s, ${(cr.secondsPerServer * 1000).toFixed(2)} ms/server, ` +
          `${cr.history.eventsPer} events/server, largest payload ${cr.largestPayloadKb ?? 'n/a'} KB`,
      );
    }
    out.processes = processes();
  } catch (err) {
    errors.push(`bench fleet: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    console.error(err);
  } finally {
    await stack?.stop();
  }
  return out;
}

/** The issue's targets, judged on this run's own ratios. */
function targets(r: BenchResults): BenchResults['targets'] {
  const size = (n: number) => r.sizes.find((s) => s.n === n);
  const out: BenchResults['targets'] = [];
  const check = (name: string, measured: number | null | undefined, limit: number, atLeast = false) =>
    out.push({
      name,
      measured: measured ?? null,
      limit,
      ...(atLeast ? { atLeast } : {}),
      met: measured == null ? null : atLeast ? measured >= limit : measured <= limit,
    });
  for (const n of [100, 1000]) if (size(n)) check(`create/floor at N=${n}`, size(n)!.ratio, 1);
  if (size(100) && size(1000))
    check(
      's/server N=1000 over N=100',
      round(size(1000)!.create.secondsPerServer / size(100)!.create.secondsPerServer, 2),
      1.3,
    );
  const a16 = r.admission.find((a) => a.callers === 16);
  if (a16) check('admission p99 / bare start p99 at 16 callers', a16.p99Ratio, 3);
  const fl = r.fleet;
  if (fl?.churn) {
    check(
      `fleet: boot+delete per second, ${fl.callers} callers, ${fl.hosts} hosts (Nova 5.4)`,
      fl.churn.serversPerSecond,
      10.8,
      true,
    );
    check('fleet: boot median s (Nova 6.2)', fl.churn.boot.p50, 0.62);
  }
  if (fl?.single) check('fleet: boot median s, 1 caller (nothing queued)', fl.single.boot.p50, 0.62);
  const small = fl?.sizes.find((c) => c.n === 100);
  const large = fl?.sizes.filter((c) => c.n > 100).at(-1);
  if (small && large)
    check(
      `fleet: s/server N=${large.n} over N=100`,
      round(large.secondsPerServer / small.secondsPerServer, 2),
      1.2,
    );
  const novaflow = (fl?.processes ?? []).filter((p) => p.name !== 'temporal' && p.name !== 'bench');
  if (novaflow.length > 0)
    check(
      `fleet: peak RSS MB of the largest novaflow process (${fl!.hosts} hosts)`,
      Math.max(...novaflow.map((p) => p.peakRssMb ?? 0)),
      300,
    );
  check('errors', r.errors.length, 0);
  return out;
}

void main();
