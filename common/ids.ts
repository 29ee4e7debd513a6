import { createHash } from 'node:crypto';

/**
 * Shapes of the ids this system gives out or accepts. A value of another shape names nothing here:
 * routes answer 404 (or 400 for a malformed request) without asking Temporal.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RESERVATION = /^r-[0-9a-z]{8}$/;
/** Keystone ids are at most 64 characters; names and noauth ids keep to a conservative alphabet. */
const IDENTITY = /^[A-Za-z0-9_.@-]{1,64}$/;
const HOST = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

export const isUuid = (value: string): boolean => UUID.test(value);

/** `r-` and 8 of [0-9a-z], like Nova's reservation ids. */
export const isReservationId = (value: string): boolean => RESERVATION.test(value);

/** A user or project id: what a token may name and a quota path may address. */
export const isIdentityId = (value: string): boolean => IDENTITY.test(value);

/** A compute host name (a hostname or a short node name). */
export const isHostName = (value: string): boolean => HOST.test(value);

/**
 * A workflow id of an entity: `kind/id` (`reservation/r-…`, `server/<uuid>`, `host/NAME`, and the
 * kinds extensions add), in the alphabet the ids above keep to.
 */
export function isEntityWorkflowId(value: string): boolean {
  return /^[a-z][a-z0-9-]{0,31}\/[A-Za-z0-9._@-]{1,255}$/.test(value);
}

/** 36^8: how many reservation ids there are. */
const RESERVATION_SPACE = 36n ** 8n;

function reservationIdOf(prefixHex: string): string {
  return `r-${(BigInt(`0x${prefixHex}`) % RESERVATION_SPACE).toString(36).padStart(8, '0')}`;
}

/**
 * Ids of one create request. Every server id begins with the same 48 bits (the request's prefix) and
 * is an RFC 9562 version-8 UUID; the reservation id is a function of that prefix. So whoever holds a
 * server id finds the request that owns it without any index or search: the server's entity may not
 * exist yet (it is started in the spawn stage), but its reservation exists before the 202 is sent.
 *
 * `prefix` is 6 bytes (random by default; a hash of an idempotency key makes the ids reproducible),
 * `random` supplies the rest of each server id.
 */
export function requestIds(
  count: number,
  prefix: Uint8Array,
  random: (n: number) => Uint8Array,
): { reservationId: string; serverIds: string[] } {
  if (prefix.length !== 6) throw new Error('a request id prefix is 6 bytes');
  const prefixHex = Buffer.from(prefix).toString('hex');
  const serverIds = Array.from({ length: count }, () => {
    const r = Buffer.from(random(10)).toString('hex');
    const variant = ((parseInt(r[3], 16) & 0x3) | 0x8).toString(16);
    return `${prefixHex.slice(0, 8)}-${prefixHex.slice(8)}-8${r.slice(0, 3)}-${variant}${r.slice(4, 7)}-${r.slice(7, 19)}`;
  });
  return { reservationId: reservationIdOf(prefixHex), serverIds };
}

/** The reservation a server id was given out by, when it is one of `requestIds`' ids. */
export function reservationOfServer(serverId: string): string | undefined {
  if (!isUuid(serverId) || serverId[14] !== '8') return undefined;
  return reservationIdOf(serverId.slice(0, 8) + serverId.slice(9, 13));
}

/**
 * A name-based uuid (version 5 layout over sha1 of `novaflow:<kind>:<name>`): the same in every
 * process and across restarts without being stored anywhere.
 */
export function nameUuid(kind: string, name: string): string {
  const h = createHash('sha1').update(`novaflow:${kind}:${name}`).digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
