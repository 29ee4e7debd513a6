/**
 * A create's `availability_zone`: `zone`, or `zone:host` / `:host` / `zone:host:node`, which force
 * the host (admins only, checked by the API).
 */
export function parseAvailabilityZone(value: string | null): { zone: string | null; host: string | null } {
  if (!value) return { zone: null, host: null };
  const [zone, host] = value.split(':');
  return { zone: zone || null, host: host || null };
}
