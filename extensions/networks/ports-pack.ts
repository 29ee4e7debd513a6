import type { PortRecord } from './types';

/**
 * Ports as a network's address entity carries them into its next run: the strings most ports share
 * (project, owner kind, subnet) once in a table, each port a row of indexes and its own values.
 */
export interface PackedPorts {
  strings: string[];
  /** [id, key, project, device id (null: the key's server id), device owner, mac, created, ...[subnet, ip]]. */
  rows: (string | number | null)[][];
}

export function packPorts(list: PortRecord[]): PackedPorts {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const ref = (v: string) => {
    let i = index.get(v);
    if (i === undefined) index.set(v, (i = strings.push(v) - 1));
    return i;
  };
  const rows = list.map((p) => [
    p.id,
    p.key,
    ref(p.project_id),
    p.device_id === p.key.split('#')[0] ? null : p.device_id,
    ref(p.device_owner),
    p.mac_address,
    p.created_at,
    ...p.fixed_ips.flatMap((f) => [ref(f.subnet_id), f.ip_address]),
  ]);
  return { strings, rows };
}

export function unpackPorts(networkId: string, { strings, rows }: PackedPorts): PortRecord[] {
  return rows.map((r) => {
    const [id, key, project, device, owner, mac, created, ...ips] = r as [
      string,
      string,
      number,
      string | null,
      number,
      string,
      string,
      ...(string | number)[],
    ];
    const fixed: PortRecord['fixed_ips'] = [];
    for (let i = 0; i < ips.length; i += 2)
      fixed.push({ subnet_id: strings[ips[i] as number], ip_address: ips[i + 1] as string });
    return {
      id,
      key,
      network_id: networkId,
      project_id: strings[project],
      device_id: device ?? key.split('#')[0],
      device_owner: strings[owner],
      mac_address: mac,
      fixed_ips: fixed,
      created_at: created,
    };
  });
}
