import {
  capacity,
  claimRefusal,
  hostAttribute,
  hostZone,
  isAlive,
  aliveWhenRead,
  serviceLiveness,
  usedResources,
  withServiceLiveness,
} from '../../entities/host/rules';
import type { HostState } from '../../entities/host/types';

const inventory = {
  vcpus: 4,
  ram: 8192,
  disk: 100,
  availabilityZone: 'nova',
  driver: 'fake',
  hypervisorType: 'fake',
  hypervisorVersion: 1,
  hostIp: '127.0.0.1',
  capabilities: [],
};
const host = (allocations: HostState['allocations'] = {}, enabled = true): HostState => ({
  name: 'h1',
  inventory,
  enabled,
  disabledReason: null,
  lastHeartbeat: 1_000,
  allocations,
});
const one = { vcpus: 2, ram: 4096, disk: 40 };
const ratios = { cpu: 1, ram: 1, disk: 1 };

describe('when a host decides a batch of claims', () => {
  it('then what fits under the ratios is taken, and one resource too many refuses the whole batch', () => {
    expect(claimRefusal(host(), { claims: [{ key: 'a', resources: one }], ratios })).toBeNull();
    const two = [
      { key: 'a', resources: one },
      { key: 'b', resources: one },
    ];
    expect(claimRefusal(host(), { claims: two, ratios })).toBeNull();
    expect(claimRefusal(host({ x: one }), { claims: two, ratios })).toBe('host h1 has too few vCPUs');
    expect(claimRefusal(host({ x: one }), { claims: two, ratios: { cpu: 16, ram: 1, disk: 1 } })).toBe(
      'host h1 has too little RAM',
    );
  });

  it('then a key it holds already costs nothing again, and a disabled host takes nothing', () => {
    expect(
      claimRefusal(host({ a: one, b: one }), { claims: [{ key: 'a', resources: one }], ratios }),
    ).toBeNull();
    expect(claimRefusal(host({}, false), { claims: [{ key: 'a', resources: one }], ratios })).toBe(
      'host h1 is disabled',
    );
  });

  it('then capacity, usage and liveness are plain arithmetic', () => {
    expect(capacity(inventory, { cpu: 16, ram: 1.5, disk: 1 })).toEqual({ vcpus: 64, ram: 12288, disk: 100 });
    expect(usedResources({ a: one, b: one })).toEqual({ vcpus: 4, ram: 8192, disk: 80 });
    expect(isAlive(host(), 500, 1_400)).toBe(true);
    expect(isAlive(host(), 500, 1_600)).toBe(false);
  });

  it('then a plan on a reused read judges liveness as of the read, not now', () => {
    // Heartbeat at 1000, read at 1400, plan at 1900 with a 500 ms down-after: up when read.
    expect(aliveWhenRead(host(), 500, 1_400, 1_900)).toBe(true);
    expect(aliveWhenRead(host(), 500, 1_600, 1_900)).toBe(false);
    // A read from the future (clock skew between calls) is judged as of now.
    expect(aliveWhenRead(host(), 500, 9_000, 1_400)).toBe(true);
  });
});

describe("a host's zone", () => {
  const state = (attributes?: Record<string, Record<string, string>>) =>
    ({
      name: 'h',
      inventory: { availabilityZone: 'reported' },
      enabled: true,
      disabledReason: null,
      lastHeartbeat: 0,
      allocations: {},
      attributes,
    }) as unknown as HostState;

  it('is the one it reports until an aggregate sets one, and the first source wins', () => {
    expect(hostZone(state())).toBe('reported');
    expect(hostZone(state({ 'aggregate:b': { ssd: 'yes' } }))).toBe('reported');
    expect(
      hostZone(
        state({ 'aggregate:b': { availability_zone: 'z2' }, 'aggregate:a': { availability_zone: 'z1' } }),
      ),
    ).toBe('z1');
    expect(hostAttribute(state({ 'aggregate:a': { k: '1' }, 'aggregate:b': { k: '2' } }), 'k')).toEqual([
      '1',
      '2',
    ]);
  });
});

describe('when a host is served by a compute service', () => {
  const served = { ...host(), service: 'fleet-a' };
  const services = new Map([
    ['fleet-a', serviceLiveness({ name: 'fleet-a', lastHeartbeat: 50_000, hosts: ['h0', 'h1'] })],
    ['fleet-b', serviceLiveness({ name: 'fleet-b', lastHeartbeat: 90_000, hosts: ['h2'] })],
  ]);

  it("then it is up while the service's heartbeats are recent, however old its own report", () => {
    const s = withServiceLiveness(served, services);
    expect(s.lastHeartbeat).toBe(50_000);
    expect(isAlive(s, 20_000, 60_000)).toBe(true);
    expect(isAlive(s, 20_000, 71_000)).toBe(false);
  });

  it('then a host its service no longer lists, or whose service is unknown, keeps its own last report', () => {
    expect(withServiceLiveness({ ...served, name: 'h9' }, services).lastHeartbeat).toBe(1_000);
    expect(withServiceLiveness({ ...served, service: 'gone' }, services).lastHeartbeat).toBe(1_000);
    expect(withServiceLiveness(host(), services).lastHeartbeat).toBe(1_000);
    // Another service's heartbeats never count for it.
    expect(withServiceLiveness({ ...served, name: 'h2' }, services).lastHeartbeat).toBe(1_000);
  });
});
