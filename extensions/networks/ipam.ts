import type { SubnetRecord } from './types';

/** IPv4 arithmetic for pools; pure, so the address entity's workflow code uses it too. */

export function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** `10.0.0.0/24` -> its first and last address; undefined for anything else. */
export function parseCidr(cidr: string): { first: number; last: number } | undefined {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(cidr);
  if (!m) return undefined;
  const base = ipToInt(m[1]);
  const prefix = Number(m[2]);
  if (base === undefined || prefix < 8 || prefix > 30) return undefined;
  const size = 2 ** (32 - prefix);
  const first = base - (base % size);
  return { first, last: first + size - 1 };
}

/**
 * A subnet's layout: the gateway (the first host address unless given; `null` for none) and a pool of
 * every other host address.
 */
export function subnetLayout(
  cidr: string,
  gateway?: string | null,
): Pick<SubnetRecord, 'gateway_ip' | 'allocation_pools'> {
  const range = parseCidr(cidr)!;
  const first = range.first + 1;
  const last = range.last - 1;
  const gatewayIp = gateway === undefined ? intToIp(first) : gateway;
  const g = gatewayIp === null ? undefined : ipToInt(gatewayIp);
  const pools: { start: string; end: string }[] = [];
  if (g === undefined || g < first || g > last) pools.push({ start: intToIp(first), end: intToIp(last) });
  else {
    if (g > first) pools.push({ start: intToIp(first), end: intToIp(g - 1) });
    if (g < last) pools.push({ start: intToIp(g + 1), end: intToIp(last) });
  }
  return { gateway_ip: gatewayIp, allocation_pools: pools };
}

/** How many addresses a subnet's pools hold. */
export function poolSize(subnet: Pick<SubnetRecord, 'allocation_pools'>): number {
  return subnet.allocation_pools.reduce((n, p) => n + ipToInt(p.end)! - ipToInt(p.start)! + 1, 0);
}

/** Whether an address is one the subnet's pools give out. */
export function inPool(subnet: Pick<SubnetRecord, 'allocation_pools'>, ip: string): boolean {
  const n = ipToInt(ip);
  return (
    n !== undefined && subnet.allocation_pools.some((p) => n >= ipToInt(p.start)! && n <= ipToInt(p.end)!)
  );
}

/** The lowest pool address not in `used`, if any. */
export function lowestFree(
  subnet: Pick<SubnetRecord, 'allocation_pools'>,
  used: Set<string>,
): string | undefined {
  for (const p of subnet.allocation_pools) {
    for (let n = ipToInt(p.start)!; n <= ipToInt(p.end)!; n++) {
      const ip = intToIp(n);
      if (!used.has(ip)) return ip;
    }
  }
  return undefined;
}
