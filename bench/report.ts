import type { VmResult } from './vms';
import type { FloorResult } from './floor';
import type { AdmissionResult, ChurnResult, CreateResult } from './scenarios';

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
  targets: { name: string; measured: number | null; limit: number; met: boolean | null }[];
  errors: string[];
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
        `<= ${t.limit}`,
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
        `${c.hostAllocationsLeft} host allocations.`,
      '',
    );
  }
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
  const phases = Object.keys(r.cpuByPhase);
  out.push(
    '**Processes** (peak RSS = VmHWM; CPU seconds per phase)',
    '',
    table(
      ['process', 'peak RSS MB', 'CPU s', ...phases],
      r.processes.map((p) => [
        p.name,
        p.peakRssMb ?? 'n/a',
        f(p.cpuSeconds, 1),
        ...phases.map((ph) => f(r.cpuByPhase[ph][p.name], 1)),
      ]),
    ),
    '',
    r.errors.length === 0 ? 'No errors.' : `**${r.errors.length} errors**, first: ${r.errors[0]}`,
    '',
  );
  return out.join('\n');
}
