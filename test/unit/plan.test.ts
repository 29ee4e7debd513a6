import fc from 'fast-check';
import { CORE_FILTERS, type HostCandidate, type HostFilter } from '../../activities/scheduler/filters';
import { plan, planByFullScan } from '../../activities/scheduler/plan';
import { antiAffinityFilter, differentHostFilter } from '../../extensions/scheduler-hints/filters';

const NOW = Date.now();

/** Hosts with random inventories, zones, liveness and claims (some share a free-RAM figure, to test ties). */
const hostsArb = fc
  .array(
    fc.record({
      ram: fc.constantFrom(1024, 2048, 4096, 8192),
      vcpus: fc.integer({ min: 1, max: 8 }),
      zone: fc.constantFrom('nova', 'az2'),
      alive: fc.boolean(),
      enabled: fc.boolean(),
      claims: fc.array(fc.constantFrom(256, 512, 1024), { maxLength: 4 }),
    }),
    { minLength: 0, maxLength: 25 },
  )
  .map((specs) =>
    specs.map((h, i): HostCandidate => ({
      state: {
        name: `h-${String.fromCharCode(97 + (i % 26))}${i}`,
        inventory: {
          vcpus: h.vcpus,
          ram: h.ram,
          disk: 100,
          availabilityZone: h.zone,
          driver: 'fake',
          hostIp: '192.0.2.1',
          capabilities: [],
        } as never,
        enabled: h.enabled || i % 3 !== 0,
        disabledReason: null,
        lastHeartbeat: NOW,
        allocations: Object.fromEntries(
          h.claims.map((ram, k) => [`srv-${i}-${k}`, { vcpus: 1, ram, disk: 1 }]),
        ),
      },
      alive: h.alive,
      planned: { vcpus: 0, ram: 0, disk: 0 },
      plannedCount: 0,
    })),
  );

const clone = (hosts: HostCandidate[]): HostCandidate[] => structuredClone(hosts);

describe('the planner', () => {
  it('then with local filters its ranked plan places exactly as a full scan does', () => {
    fc.assert(
      fc.property(
        hostsArb,
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom<'spread' | 'pack'>('spread', 'pack'),
        fc.constantFrom(null, 'nova', 'az2'),
        fc.constantFrom('none', 'anti-affinity', 'different-host'),
        fc.constantFrom(256, 512, 1024),
        (hosts, count, strategy, zone, extra, ram) => {
          const filters: HostFilter[] = [...CORE_FILTERS];
          if (extra === 'anti-affinity')
            filters.push(antiAffinityFilter({ hosts: ['h-a0'], requestServerIds: [] }));
          if (extra === 'different-host')
            filters.push(differentHostFilter({ serverIds: ['srv-1-0', 'srv-2-1'] }));
          expect(filters.every((f) => f.local)).toBe(true);
          const spec = {
            resources: { vcpus: 1, ram, disk: 1 },
            availabilityZone: zone,
            ratios: { cpu: 1, ram: 1, disk: 1 },
            excludeHosts: new Set(hosts.length > 2 ? [hosts[1].state.name] : []),
          };
          const a = clone(hosts);
          const b = clone(hosts);
          const ranked = plan(a, filters, spec, count, strategy);
          const scanned = planByFullScan(b, filters, spec, count, strategy);
          expect(ranked).toEqual(scanned);
          expect(a.map((h) => h.planned)).toEqual(b.map((h) => h.planned));
        },
      ),
      { numRuns: 500, seed: 20261202 },
    );
  });

  it('then 1000 servers on 1000 equal hosts spread one per host', () => {
    const hosts: HostCandidate[] = Array.from({ length: 1000 }, (_, i) => ({
      state: {
        name: `h-${i}`,
        inventory: { vcpus: 64, ram: 262144, disk: 4000, availabilityZone: 'nova' } as never,
        enabled: true,
        disabledReason: null,
        lastHeartbeat: NOW,
        allocations: Object.fromEntries(
          Array.from({ length: 10 }, (_, k) => [`s-${i}-${k}`, { vcpus: 1, ram: 512, disk: 1 }]),
        ),
      },
      alive: true,
      planned: { vcpus: 0, ram: 0, disk: 0 },
      plannedCount: 0,
    }));
    const spec = {
      resources: { vcpus: 1, ram: 512, disk: 1 },
      availabilityZone: null,
      ratios: { cpu: 16, ram: 1.5, disk: 1 },
      excludeHosts: new Set<string>(),
    };
    const result = plan(hosts, CORE_FILTERS, spec, 1000, 'spread');
    expect(result.placements).toHaveLength(1000);
    // Spread: 1000 servers over 1000 equal hosts is one each.
    expect(new Set(result.placements.map((p) => p.host)).size).toBe(1000);
  });
});
