import { packPorts, unpackPorts } from '../../extensions/networks/ports-pack';
import type { PortRecord } from '../../extensions/networks/types';

const port = (i: number, over: Partial<PortRecord> = {}): PortRecord => ({
  id: `port-${i}`,
  key: `server-${i}#0`,
  network_id: 'net-1',
  project_id: i % 2 ? 'demo' : 'admin',
  device_id: `server-${i}`,
  device_owner: 'compute:nova',
  mac_address: `fa:16:3e:00:00:${String(i).padStart(2, '0')}`,
  fixed_ips: [{ subnet_id: 'subnet-1', ip_address: `10.0.0.${i + 2}` }],
  created_at: '2026-12-02T09:00:00Z',
  ...over,
});

describe('when a network entity packs its ports to continue as new', () => {
  it('then they unpack to the same records, and ten thousand take far less than 2 MB', () => {
    const ports = [
      ...Array.from({ length: 20 }, (_, i) => port(i)),
      port(98, { device_id: 'router-1', device_owner: 'network:router_interface' }),
      port(99, { fixed_ips: [] }),
      port(100, {
        fixed_ips: [
          { subnet_id: 'subnet-1', ip_address: '10.0.0.200' },
          { subnet_id: 'subnet-2', ip_address: '10.1.0.5' },
        ],
      }),
    ];
    expect(unpackPorts('net-1', packPorts(ports))).toEqual(ports);
    const many = Array.from({ length: 10_000 }, (_, i) => ({
      ...port(i),
      id: crypto.randomUUID(),
      key: `${crypto.randomUUID()}#0`,
    }));
    for (const p of many) p.device_id = p.key.split('#')[0];
    const packed = JSON.stringify(packPorts(many)).length;
    expect(packed).toBeLessThan(JSON.stringify(many).length / 2);
    expect(packed).toBeLessThan(1.5 * 1024 * 1024);
  });
});
