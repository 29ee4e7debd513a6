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
