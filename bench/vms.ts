import fs from 'node:fs';
import { GUEST_IMAGE_ID } from '../common/guest-image';
import { qemuProcesses } from '../drivers/qemu/processes';
import { percentile, round } from './measure';
import { runCreate, type ScenarioContext } from './scenarios';
import { cpuSeconds } from './stack';

/** The availability zone of the bench's qemu host, so only VM requests land there. */
export const VM_ZONE = 'qemu';
/** The bench's qemu host. */
export const VM_HOST = 'bench-qemu';

export interface VmResult {
  n: number;
  /** `QEMU` (TCG) or `KVM`, as the host reports its hypervisor. */
  hypervisor: string;
  /** POST until every server is ACTIVE (each VM's guest printed its ready line). */
  seconds: number;
  /** The same request on the fake driver, in the same run. */
  fakeSeconds: number;
  /** Seconds from the POST to each VM's QEMU process start, and to each server's ACTIVE as the API showed it. */
  qemuStart: { p50: number; max: number };
  active: { p50: number; max: number };
  /** The guest's own uptime when it printed its ready line (its boot, in guest time). */
  guestBoot: { p50: number; max: number };
  /** QEMU CPU seconds per VM from its start to ACTIVE, and its CPU share per VM while idle after. */
  cpuSecondsPerBoot: number;
  idleCpuPercentPerVm: number;
  /** Resident memory per VM once all are up. */
  rssMb: { mean: number; max: number };
  /** How many such VMs this machine holds: by the host's RAM inventory (x ratio) and by measured RSS. */
  fits: { byInventory: number; byRss: number };
  /** What the deletes left: QEMU processes and instance directories. */
  left: { processes: number; files: number };
}

const TICKS = 100;
const bootTime = () => Number(/btime (\d+)/.exec(fs.readFileSync('/proc/stat', 'utf8'))?.[1] ?? 0);

/** Wall-clock ms at which a process started (from /proc: boot time plus its start in clock ticks). */
function startedAt(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (bootTime() + Number(fields[19]) / TICKS) * 1000;
  } catch {
    return null;
  }
}

function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

const stats = (xs: number[]) => ({ p50: round(percentile(xs, 50), 2), max: round(Math.max(...xs), 2) });

interface ServerView {
  id: string;
  status: string;
  fault?: { message: string; details?: string };
}

/**
 * `n` real VMs in one request on the qemu host: time to ACTIVE and to each guest's ready line, the
 * CPU and memory each VM costs, then the same request on the fake driver; every VM deleted after, and
 * nothing may be left of them.
 */
export async function runVms(
  ctx: ScenarioContext,
  project: string,
  n: number,
  stateDir: string,
): Promise<VmResult> {
  const token = `bench:${project}`;
  const t0 = Date.now();
  const r = await ctx.api<{ reservation_id: string }>('POST', '/v2.1/servers', token, {
    server: {
      name: 'vm',
      flavorRef: '1',
      imageRef: GUEST_IMAGE_ID,
      availability_zone: VM_ZONE,
      min_count: n,
      max_count: n,
      return_reservation_id: true,
    },
  });
  if (r.status !== 202) throw new Error(`POST /servers answered ${r.status}: ${JSON.stringify(r.body)}`);
  const rid = r.body.reservation_id;
  const activeAt = new Map<string, number>();
  const deadline = Date.now() + 15 * 60_000;
  let servers: ServerView[] = [];
  while (activeAt.size < n) {
    if (Date.now() > deadline) throw new Error(`only ${activeAt.size} of ${n} VMs ACTIVE after 15 minutes`);
    const list = await ctx.api<{ servers: ServerView[] }>(
      'GET',
      `/v2.1/servers/detail?reservation_id=${rid}`,
      token,
    );
    servers = list.body.servers ?? [];
    for (const s of servers) {
      if (s.status === 'ERROR') throw new Error(`VM ${s.id} ended in ERROR: ${JSON.stringify(s.fault)}`);
      if (s.status === 'ACTIVE' && !activeAt.has(s.id)) activeAt.set(s.id, Date.now());
    }
    await new Promise((res) => setTimeout(res, 200));
  }
  const seconds = (Math.max(...activeAt.values()) - t0) / 1000;
  const pids = servers.map((s) => qemuProcesses(s.id)[0]).filter((p): p is number => p !== undefined);
  const cpuAtActive = pids.map((p) => cpuSeconds(p) ?? 0);
  const starts = pids.map((p) => ((startedAt(p) ?? t0) - t0) / 1000);
  const rss = pids.map((p) => rssMb(p) ?? 0);
  const guestBoot: number[] = [];
  for (const s of servers) {
    const out = await ctx.api<{ output: string }>('POST', `/v2.1/servers/${s.id}/action`, token, {
      'os-getConsoleOutput': {},
    });
    const m = /novaflow-guest: ready: \S+ up ([\d.]+) s/.exec(out.body.output ?? '');
    if (m) guestBoot.push(Number(m[1]));
    else ctx.error('vms', new Error(`VM ${s.id}: no ready line on its console`));
  }
  // Idle: what the booted guests cost while nobody uses them.
  const idleFrom = pids.map((p) => cpuSeconds(p) ?? 0);
  const idleSeconds = 10;
  await new Promise((res) => setTimeout(res, idleSeconds * 1000));
  const idle = pids.map((p, i) => (cpuSeconds(p) ?? 0) - idleFrom[i]);
  const host = await ctx.api<{
    hypervisors: { hypervisor_hostname: string; hypervisor_type: string; memory_mb: number }[];
  }>('GET', '/v2.1/os-hypervisors/detail', 'admin:admin');
  const hv = host.body.hypervisors?.find((h) => h.hypervisor_hostname === VM_HOST);

  const fake = await runCreate(ctx, 'bench-create', n);

  for (const s of servers) {
    const del = await ctx.api('DELETE', `/v2.1/servers/${s.id}`, token);
    if (del.status !== 204) ctx.error('vms', new Error(`DELETE ${s.id} answered ${del.status}`));
  }
  for (const s of servers)
    await ctx.client.workflow
      .getHandle(`server/${s.id}`)
      .result()
      .catch(() => undefined);
  const left = {
    processes: qemuProcesses(stateDir).length,
    files: fs.existsSync(stateDir) ? fs.readdirSync(stateDir).length : 0,
  };
  if (left.processes || left.files) ctx.error('vms', new Error(`deleted VMs left ${JSON.stringify(left)}`));
  const meanRss = rss.reduce((a, b) => a + b, 0) / Math.max(1, rss.length);
  const freeMb =
    Number(/MemAvailable:\s+(\d+) kB/.exec(fs.readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 1024;
  return {
    n,
    hypervisor: hv?.hypervisor_type ?? 'unknown',
    seconds: round(seconds, 2),
    fakeSeconds: round(fake.seconds, 2),
    qemuStart: stats(starts),
    active: stats([...activeAt.values()].map((t) => (t - t0) / 1000)),
    guestBoot: stats(guestBoot),
    cpuSecondsPerBoot: round(cpuAtActive.reduce((a, b) => a + b, 0) / Math.max(1, pids.length), 2),
    idleCpuPercentPerVm: round(
      (100 * idle.reduce((a, b) => a + b, 0)) / Math.max(1, pids.length) / idleSeconds,
      2,
    ),
    rssMb: { mean: round(meanRss, 0), max: round(Math.max(...rss), 0) },
    fits: {
      // m1.tiny (512 MB) against the RAM the scheduler offers (x1.5 by default) and against what is free.
      byInventory: hv ? Math.floor((hv.memory_mb * 1.5) / 512) : 0,
      byRss: Math.floor((freeMb + meanRss * pids.length) / Math.max(1, meanRss)),
    },
    left,
  };
}
