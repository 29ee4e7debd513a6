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
import { BENCH_NAMESPACE, cpuSeconds, peakRssMb, startBenchStack, type BenchStack } from './stack';
import { runVms, VM_HOST, VM_ZONE } from './vms';

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
const VMS = values.vms === undefined ? (QUICK ? 5 : 20) : Number(values.vms);
const VM_STATE = path.join(ROOT, '.data', 'bench-qemu');
/** Where results go: bench/results/latest.{json,md} unless --out names another path prefix. */
const OUT = values.out ?? path.join(ROOT, 'bench', 'results', 'latest');

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
    targets: [],
    errors,
  };
  let stack: BenchStack | undefined;
  let floor: FloorWorkers | undefined;
  try {
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
    const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      const before = procs.map((p) => cpuSeconds(p.pid) ?? 0);
      try {
        return await fn();
      } finally {
        results.cpuByPhase[name] = Object.fromEntries(
          procs.map((p, i) => [p.name, round((cpuSeconds(p.pid) ?? 0) - before[i], 2)]),
        );
      }
    };

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

    results.processes = procs.map((p) => ({
      name: p.name,
      peakRssMb: peakRssMb(p.pid),
      cpuSeconds: cpuSeconds(p.pid),
    }));
  } catch (err) {
    errors.push(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    console.error(err);
  } finally {
    await floor?.shutdown().catch(() => undefined);
    await stack?.stop();
  }

  results.targets = targets(results);
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(`${OUT}.json`, JSON.stringify(results, null, 2) + '\n');
  const md = renderMarkdown(results);
  fs.writeFileSync(`${OUT}.md`, md);
  console.log('\n' + md);
  log(`wrote ${path.relative(ROOT, OUT)}.json and .md`);
  process.exit(errors.length > 0 ? 1 : 0);
}

/** The targets, judged on this run's own ratios. */
function targets(r: BenchResults): BenchResults['targets'] {
  const size = (n: number) => r.sizes.find((s) => s.n === n);
  const out: BenchResults['targets'] = [];
  const check = (name: string, measured: number | null | undefined, limit: number) =>
    out.push({ name, measured: measured ?? null, limit, met: measured == null ? null : measured <= limit });
  for (const n of [100, 1000]) if (size(n)) check(`create/floor at N=${n}`, size(n)!.ratio, 2);
  if (size(100) && size(1000))
    check(
      's/server N=1000 over N=100',
      round(size(1000)!.create.secondsPerServer / size(100)!.create.secondsPerServer, 2),
      1.3,
    );
  const a16 = r.admission.find((a) => a.callers === 16);
  if (a16) check('admission p99 / bare start p99 at 16 callers', a16.p99Ratio, 3);
  check('errors', r.errors.length, 0);
  return out;
}

void main();
