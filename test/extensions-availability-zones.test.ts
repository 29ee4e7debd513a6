import { eventually, startStack, type Stack } from './support/stack';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    hosts: [
      { name: 'az-a1', availabilityZone: 'zone-a' },
      { name: 'az-b1', availabilityZone: 'zone-b' },
    ],
  });
});
afterAll(async () => {
  await stack?.shutdown();
});

describe('when callers list availability zones (os-availability-zone)', () => {
  it("then anyone sees the hosts' zones, and an admin also sees which hosts are in each", async () => {
    const list = await stack.api('GET', '/v2.1/os-availability-zone', { token: 'zone:user' });
    expect(list.status).toBe(200);
    expect(list.body.availabilityZoneInfo).toEqual([
      { zoneName: 'zone-a', zoneState: { available: true }, hosts: null },
      { zoneName: 'zone-b', zoneState: { available: true }, hosts: null },
    ]);
    expect((await stack.api('GET', '/v2.1/os-availability-zone/detail', { token: 'zone:user' })).status).toBe(
      403,
    );
    const detail = await stack.api('GET', '/v2.1/os-availability-zone/detail', { token: 'admin:admin' });
    expect(detail.body.availabilityZoneInfo[1].hosts['az-b1']['nova-compute']).toMatchObject({
      available: true,
      active: true,
    });
  });

  it('then a zone whose only host is disabled is not available', async () => {
    const off = await stack.api('PUT', '/v2.1/os-services/disable', {
      token: 'admin:admin',
      body: { host: 'az-b1', binary: 'nova-compute' },
    });
    expect(off.status).toBe(200);
    await eventually(async () => {
      const list = await stack.api('GET', '/v2.1/os-availability-zone', { token: 'zone:user' });
      const b = list.body.availabilityZoneInfo.find((z: { zoneName: string }) => z.zoneName === 'zone-b');
      return b.zoneState.available === false ? true : undefined;
    });
  });
});
