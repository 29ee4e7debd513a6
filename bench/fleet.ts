import type { Client } from '@temporalio/client';
import { CORE_FILTERS, type HostCandidate } from '../activities/scheduler/filters';
import { plan } from '../activities/scheduler/plan';
import { listHostStates, loadHostStates } from '../entities/host/client';
import { percentile, round } from './measure';

/**
 * Issue 16's fleet measures that need no stack of their own: what one plan costs against the number
 * of hosts, and what one read of every host's state costs on a live fleet (one visibility listing of
 * the states the host entities publish, beside a query per host).
 */

export interface PlanCost {
  hosts: number;
  /** Milliseconds for one plan of 1 server and of 100 servers (median of several runs). */
  oneMs: number;
  hundredMs: number;
}

/** Hosts of a typical size, each with `claims` servers on it already, all up. */
function syntheticFleet(n: number, claims: number): HostCandidate[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    state: {
      name: `h-${String(i).padStart(5, '0')}`,
      inventory: {
        vcpus: 16,
        ram: 32768,
        disk: 500,
        availabilityZone: 'nova',
        driver: 'fake',
        hypervisorType: 'fake',
        hypervisorVersion: 1,
        hostIp: '192.0.2.1',
        capabilities: [],
      },
      enabled: true,
      disabledReason: null,
      lastHeartbeat: now,
      allocations: Object.fromEntries(
        Array.from({ length: claims }, (_, k) => [
          `s-${i}-${k}`,
          { vcpus: 1, ram: 512 + 512 * (k % 3), disk: 1 },
        ]),
      ),
    },
    alive: true,
    planned: { vcpus: 0, ram: 0, disk: 0 },
    plannedCount: 0,
  }));
}

/** Median milliseconds of `runs` plans of `count` m1.tiny servers on a fresh copy of `hosts`. */
function timePlan(hosts: HostCandidate[], count: number, runs: number): number {
  const samples: number[] = [];
  const spec = {
    resources: { vcpus: 1, ram: 512, disk: 1 },
    availabilityZone: null,
    ratios: { cpu: 16, ram: 1.5, disk: 1 },
    excludeHosts: new Set<string>(),
  };
  for (let r = 0; r < runs; r++) {
    const copy = hosts.map((h) => ({
      ...h,
      planned: { vcpus: 0, ram: 0, disk: 0 },
      plannedCount: 0,
      used: undefined,
    }));
    const t0 = performance.now();
    const p = plan(copy, CORE_FILTERS, spec, count, 'spread');
    samples.push(performance.now() - t0);
    if (p.placements.length !== count) throw new Error(`plan placed ${p.placements.length} of ${count}`);
  }
  return round(percentile(samples, 50), 2);
}

/** One plan's cost at 10, 100 and 1000 hosts (10 servers on each already). */
export function planCosts(sizes = [10, 100, 1000]): PlanCost[] {
  return sizes.map((n) => {
    const hosts = syntheticFleet(n, 10);
    timePlan(hosts, 100, 3); // warm the JIT
    return { hosts: n, oneMs: timePlan(hosts, 1, 15), hundredMs: timePlan(hosts, 100, 7) };
  });
}

export interface ReadCost {
  hosts: number;
  /** One visibility listing of every host's published state (median of 5). */
  listingMs: number;
  /** A query to every host entity (64 at a time), once. */
  queriesMs: number;
}

/** What one read of every host's state costs on the live fleet, both ways. */
export async function readCosts(client: Client): Promise<ReadCost> {
  const listing: number[] = [];
  let hosts = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    hosts = (await listHostStates(client)).length;
    listing.push(performance.now() - t0);
  }
  const t0 = performance.now();
  await loadHostStates(client);
  const queriesMs = performance.now() - t0;
  return { hosts, listingMs: round(percentile(listing, 50), 1), queriesMs: round(queriesMs, 1) };
}
