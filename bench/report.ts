import type { VmResult } from './vms';
import type { FloorResult } from './floor';
import type { AdmissionResult, ChurnResult, CreateResult } from './scenarios';
import type { PlanCost, ReadCost } from './fleet';

/** Everything one run measured; written as bench/results/latest.json. */
export interface BenchResults {
  startedAt: string;
  quick: boolean;
  /** Dynamic config given on the command line for an experiment, beyond the stack's defaults. */
  dynamicConfig: string[];
  machine: { nproc: number; cpu: string; memory: string; node: string; temporal: string };
  sizes: { n: number; floor: FloorResult; create: CreateResult; ratio: number }[];
  admission: AdmissionResult[];
  churn: ChurnResult | null;
  /** Real VMs on the qemu driver (absent when the run had none). */
  vms?: VmResult;
  processes: { name: string; peakRssMb: number | null; cpuSeconds: number | null }[];
  /** CPU seconds each process spent in each phase: where the time goes. */
  cpuByPhase: Record<string, Record<string, number>>;
  /** Peak RSS MB of each process while each phase ran (null: not measurable there). */
  rssByPhase: Record<string, Record<string, number | null>>;
  targets: { name: string; measured: number | null; limit: number; atLeast?: boolean; met: boolean | null }[];
  /** The fleet scenarios (issue 16), on a stack of their own. */
  fleet?: FleetResults;
  errors: string[];
}

/** One fleet process of many fake hosts: Nova's scale scenario and what the fleet costs. */
export interface FleetResults {
  hosts: number;
  callers: number;
  registerSeconds: number | null;
  plan: PlanCost[];
  read: ReadCost | null;
  churn: ChurnResult | null;
  /** The same boot+delete by one caller: latency with nothing queued. */
  single: ChurnResult | null;
  sizes: CreateResult[];
  processes: { name: string; peakRssMb: number | null; cpuSeconds: number | null }[];
  cpuByPhase: Record<string, Record<string, number>>;
  rssByPhase: Record<string, Record<string, number | null>>;
}

/** Each process's peak RSS and CPU seconds, over the run and phase by phase. */
function processTable(r: Pick<FleetResults, 'processes' | 'cpuByPhase' | 'rssByPhase'>): string {
  const phases = Object.keys(r.cpuByPhase);
  const rss = r.rssByPhase ?? {};
  return table(
    [
      'process',
      'peak RSS MB',
      ...phases.map((ph) => `${ph} MB`),
      'CPU s',
      ...phases.map((ph) => `${ph} CPU s`),
    ],
    r.processes.map((p) => [
      p.name,
      p.peakRssMb ?? 'n/a',
      ...phases.map((ph) => rss[ph]?.[p.name] ?? 'n/a'),
      f(p.cpuSeconds, 1),
      ...phases.map((ph) => f(r.cpuByPhase[ph][p.name], 1)),
    ]),
  );
}

const f = (x: number | null | undefined, d = 2) => (x == null || Number.isNaN(x) ? 'n/a' : x.toFixed(d));

function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The markdown version of a run: the tables the README's Performance section shows. */
export function renderMarkdown(r: BenchResults): string {
  const out: string[] = [];
  out.push(
    `Run ${r.startedAt}${r.quick ? ' (--quick)' : ''} on ${r.machine.nproc} cores (${r.machine.cpu}), ` +
      `${r.machine.memory} RAM, Node ${r.machine.node}, ${r.machine.temporal}.`,
    ...(r.dynamicConfig.length
      ? ['', `Extra dev server dynamic config: ${r.dynamicConfig.join(', ')}.`]
      : []),
    '',
    '**Targets**',
    '',
    table(
      ['target', 'measured', 'limit', 'met'],
      r.targets.map((t) => [
        t.name,
        f(t.measured),
        `${t.atLeast ? '>=' : '<='} ${t.limit}`,
        t.met == null ? 'n/a' : t.met ? 'yes' : 'NO',
      ]),
    ),
    '',
    '**Create to ACTIVE vs the floor** (one `POST /servers` with min = max = N; floor = one parent workflow ' +
      'starting N children that each run one no-op activity on one of three queues)',
    '',
    table(
      ['N', 'floor s', 'create s', 'ratio', 's/server', 'events/server', 'KB/server', 'floor events/child'],
      r.sizes.map((s) => [
        s.n,
        f(s.floor.seconds),
        f(s.create.seconds),
        f(s.ratio),
        f(s.create.secondsPerServer, 4),
        f(s.create.history.eventsPer, 1),
        f(s.create.history.bytesPer / 1024, 1),
        f(s.floor.history.eventsPer, 1),
      ]),
    ),
    '',
    '**Admission** (`POST /servers`, one server, until the 202; beside a bare `client.workflow.start` of an ' +
      'empty workflow made the same way)',
    '',
    table(
      [
        'callers',
        'requests',
        'POST p50 ms',
        'POST p99 ms',
        'POST/s',
        'start p50 ms',
        'start p99 ms',
        'starts/s',
        'p99 ratio',
      ],
      r.admission.map((a) => [
        a.callers,
        a.post.requests,
        f(a.post.p50Ms, 1),
        f(a.post.p99Ms, 1),
        f(a.post.perSecond, 1),
        f(a.bareStart.p50Ms, 1),
        f(a.bareStart.p99Ms, 1),
        f(a.bareStart.perSecond, 1),
        f(a.p99Ratio),
      ]),
    ),
    '',
  );
  if (r.churn) {
    const c = r.churn;
    out.push(
      `**Churn**: ${c.servers} servers created and deleted by ${c.callers} callers in ${f(c.seconds, 1)} s ` +
        `(${f(c.serversPerSecond, 1)} servers/s), ${c.errors} errors; afterwards quota in use ` +
        `${c.quotaLeft.instances} instances / ${c.quotaLeft.cores} cores / ${c.quotaLeft.ram} MB, ` +
        `${c.hostAllocationsLeft} host allocations; boot (POST to ACTIVE) p50 ${f(c.boot?.p50)} s, p95 ${f(c.boot?.p95)} s.`,
      '',
    );
  }
  if (r.fleet) out.push(...renderFleet(r.fleet));
  if (r.vms) {
    const v = r.vms;
    out.push(
      `**Real VMs** (qemu driver, ${v.hypervisor === 'KVM' ? 'KVM' : 'TCG: no working KVM here'}): one \`POST /servers\` ` +
        `of ${v.n} servers booting novaflow-guest (m1.tiny), beside the same request on the fake driver`,
      '',
      table(
        ['measure', 'value'],
        [
          ['all ACTIVE (each guest said ready)', `${f(v.seconds)} s (fake driver: ${f(v.fakeSeconds)} s)`],
          ['POST to QEMU start, p50 / max', `${f(v.qemuStart.p50)} / ${f(v.qemuStart.max)} s`],
          ['POST to ACTIVE, p50 / max', `${f(v.active.p50)} / ${f(v.active.max)} s`],
          [
            'guest boot to its ready line (guest uptime), p50 / max',
            `${f(v.guestBoot.p50)} / ${f(v.guestBoot.max)} s`,
          ],
          ['host CPU per VM to ACTIVE', `${f(v.cpuSecondsPerBoot)} s`],
          ['host CPU per idle VM', `${f(v.idleCpuPercentPerVm)} %`],
          ['RSS per VM, mean / max', `${v.rssMb.mean} / ${v.rssMb.max} MB`],
          [
            'm1.tiny VMs this machine holds: by RAM inventory x1.5 / by measured RSS',
            `${v.fits.byInventory} / ${v.fits.byRss}`,
          ],
          ['left after delete: QEMU processes / instance dirs', `${v.left.processes} / ${v.left.files}`],
        ],
      ),
      '',
    );
  }
  // A run of the fleet alone has no pipeline stack: its processes are in the fleet's table.
  if (r.processes.length > 0)
    out.push(
      '**Processes** (peak RSS = VmHWM, over the run and in each phase; CPU seconds per phase)',
      '',
      processTable(r),
      '',
    );
  out.push(r.errors.length === 0 ? 'No errors.' : `**${r.errors.length} errors**, first: ${r.errors[0]}`, '');
  return out.join('\n');
}

/** The fleet section: Nova's scale scenario side by side with Nova's published figures. */
function renderFleet(fl: FleetResults): string[] {
  const out: string[] = [
    `**Fleet** (one compute-node process serving ${fl.hosts} fake hosts of 16 vCPUs / 32 GiB on one worker and ` +
      `one heartbeat; hosts up ${fl.registerSeconds ?? 'n/a'} s after the stack started)`,
    '',
  ];
  if (fl.churn) {
    const c = fl.churn;
    out.push(
      table(
        [
          'boot + delete, m1.tiny',
          'novaflow (this run, 2 cores, one machine)',
          "Nova's scale test (Mitaka, 1000 fake nodes, a cluster)",
        ],
        [
          ['concurrency', c.callers, 50],
          ['iterations', c.servers, 'n/a'],
          ['boot+delete per second', f(c.serversPerSecond, 1), '~5.4'],
          ['boot median / p95 s', `${f(c.boot.p50, 3)} / ${f(c.boot.p95, 3)}`, '6.2 / 8.0'],
          ['delete median / p95 s', `${f(c.delete.p50, 3)} / ${f(c.delete.p95, 3)}`, 'n/a'],
          ...(fl.single
            ? [
                [
                  `1 caller, ${fl.single.servers} iterations: boot median / p95 s`,
                  `${f(fl.single.boot.p50, 3)} / ${f(fl.single.boot.p95, 3)}`,
                  'n/a',
                ],
              ]
            : []),
          [
            'errors; quota and allocations left after',
            `${c.errors}; ${c.quotaLeft.instances} / ${c.hostAllocationsLeft}`,
            'n/a',
          ],
        ],
      ),
      '',
    );
  }
  if (fl.sizes.length > 0)
    out.push(
      table(
        [
          'one request of N on the fleet',
          'seconds to all ACTIVE',
          's/server',
          'events/server',
          'largest reservation event KB',
        ],
        fl.sizes.map((c) => [
          c.n,
          f(c.seconds),
          f(c.secondsPerServer, 4),
          f(c.history.eventsPer, 1),
          f(c.largestPayloadKb ?? null, 1),
        ]),
      ),
      '',
    );
  out.push(
    table(
      ['hosts', 'one plan, 1 server ms', 'one plan, 100 servers ms'],
      fl.plan.map((p) => [p.hosts, f(p.oneMs), f(p.hundredMs)]),
    ),
    '',
  );
  if (fl.read)
    out.push(
      `One read of all ${fl.read.hosts} hosts' states: one visibility listing ${f(fl.read.listingMs, 1)} ms ` +
        `(what the scheduler plans on), a query per host ${f(fl.read.queriesMs, 1)} ms (what proves NoValidHost).`,
      '',
    );
  if (fl.processes.length > 0) {
    out.push(processTable(fl), '');
  }
  return out;
}
