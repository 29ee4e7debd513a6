/** novaflow's networks in Neutron v2.0's terms (the subset servers and clients need). */

/** A network's one IPv4 subnet: its range, gateway and the pool addresses are given from. */
export interface SubnetRecord {
  id: string;
  name: string;
  network_id: string;
  project_id: string;
  cidr: string;
  ip_version: 4;
  gateway_ip: string | null;
  allocation_pools: { start: string; end: string }[];
  enable_dhcp: boolean;
  created_at: string;
  updated_at: string;
}

export interface NetworkRecord {
  id: string;
  name: string;
  project_id: string;
  /** Shared networks are every project's; others only their project's (and admins'). */
  shared: boolean;
  created_at: string;
  updated_at: string;
  subnet: SubnetRecord | null;
}

/** One server NIC: an address from a network's pool, owned by its server until released. */
export interface PortRecord {
  id: string;
  /** `<server id>#<nic index>`: the same NIC asked for again gets the same port. */
  key: string;
  network_id: string;
  project_id: string;
  device_id: string;
  device_owner: string;
  mac_address: string;
  fixed_ips: { subnet_id: string; ip_address: string }[];
  created_at: string;
}

/** What a server's build asks of a network's address entity. */
export interface AllocateRequest {
  key: string;
  portId: string;
  mac: string;
  owner: string;
  projectId: string;
  deviceOwner: string;
  subnet: Pick<SubnetRecord, 'id' | 'cidr' | 'allocation_pools' | 'gateway_ip'>;
  fixedIp?: string;
  at: string;
}
