import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { editServer, sendServerAction } from '../../entities/server/client';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { badRequest, conflict, forbidden, fromFailure, notFound } from '../../common/errors';
import { filterYielding } from '../../common/concurrency';
import { isReservationId, isUuid, requestIds } from '../../common/ids';
import { findServer, isClosed, pendingOf, type FoundServer } from './server-lookup';
import { cancelPending } from '../../entities/reservation/client';
import { findFlavor } from '../../common/flavors';
import type { Flavor } from '../../common/types';
import type { ServerAction, ServerEdit } from '../../entities/server/messages';
import { NovaKind, NovaProject, NovaReservation, NovaStatus } from '../../common/search-attributes';
import { eq, ne, oneOf, UnsafeQueryValue, visibilityQuery, type Clause } from '../../common/visibility';
import { compileNameFilter } from './name-filter';
import { timeQuery } from '../paging';
import type { Caller } from '../../common/types';
import type { CreateRequest, ReservationMemo } from '../../entities/reservation/types';
import type { ServerRecord } from '../../entities/server/types';
import {
  allowedFrom,
  conflictMessage,
  MAX_METADATA_ITEMS,
  METADATA_LIMIT_MESSAGE,
  type ServerMemoView,
} from '../../entities/server/rules';
import type { ApiDeps } from '../context';
import type { CreateServerBody } from '../schemas/create-server';

/** Turns a validated body into the reservation's input; every client mistake is caught here. */
export function toCreateRequest(
  deps: ApiDeps,
  caller: Caller,
  body: CreateServerBody,
  extensions: string[],
  extra: Record<string, unknown>,
  /** Six bytes the request's ids derive from (an idempotency key's hash); random by default. */
  idPrefix?: Uint8Array,
  /** The flavor the caller may use that flavorRef names (the API looks it up); a shipped one by default. */
  resolved?: Flavor,
): CreateRequest {
  const s = body.server;
  const flavor = resolved ?? findFlavor(String(s.flavorRef));
  if (!flavor) throw badRequest(`Flavor ${s.flavorRef} could not be found.`);
  const minCount = s.min_count ?? 1;
  const maxCount = s.max_count ?? minCount;
  if (minCount > maxCount) throw badRequest('min_count must be <= max_count');
  if (maxCount > deps.maxCount) {
    throw badRequest(
      `max_count ${maxCount} is more than this cloud allows in one request (${deps.maxCount})`,
    );
  }
  if (maxCount > 1) {
    const nets = Array.isArray(s.networks) ? s.networks : [];
    if (nets.some((n) => n.port))
      throw badRequest(
        'Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.',
      );
    if (nets.some((n) => n.fixed_ip))
      throw badRequest(
        'Unable to launch multiple instances with a single configured fixed IP. Please launch your instance one by one with different fixed IPs.',
      );
    if (s.hostname) throw badRequest('Unable to launch multiple instances with a single hostname.');
  }
  const metadata = s.metadata ?? {};
  if (Object.keys(metadata).length > MAX_METADATA_ITEMS) throw forbidden(METADATA_LIMIT_MESSAGE);
  const { reservationId, serverIds } = requestIds(maxCount, idPrefix ?? randomBytes(6), randomBytes);
  return {
    reservationId,
    requestId: caller.requestId,
    projectId: caller.projectId,
    userId: caller.userId,
    name: s.name,
    imageRef: s.imageRef ?? '',
    flavor,
    minCount,
    maxCount,
    metadata,
    availabilityZone: s.availability_zone ?? null,
    keyName: s.key_name ?? null,
    securityGroups: (s.security_groups ?? [{ name: 'default' }]).map((g) => g.name),
    diskConfig: s['OS-DCF:diskConfig'] ?? 'AUTO',
    description: s.description ?? null,
    ...(s.networks === undefined ? {} : { networks: s.networks }),
    ...(s.accessIPv4 ? { accessIPv4: s.accessIPv4 } : {}),
    ...(s.accessIPv6 ? { accessIPv6: s.accessIPv6 } : {}),
    ...(s.tags === undefined ? {} : { tags: [...new Set(s.tags)] }),
    ...(s.hostname === undefined ? {} : { hostname: s.hostname }),
    extensions,
    extra,
    serverIds,
  };
}

const EARLY_STAGES = ['admit', 'schedule', 'spawn'];

/** Servers admitted but whose entity has not started yet, from the project's reservations in flight. */
export async function pendingServers(
  client: Client,
  caller: Caller,
  reservationId?: string,
): Promise<ServerRecord[]> {
  const query = visibilityQuery(
    eq(NovaKind, 'reservation'),
    eq('ExecutionStatus', 'Running'),
    oneOf(NovaStatus, EARLY_STAGES),
    caller.isAdmin ? undefined : eq(NovaProject, caller.projectId),
    reservationId === undefined ? undefined : eq(NovaReservation, reservationId),
  );
  const out: ServerRecord[] = [];
  for await (const wf of client.workflow.list({ query })) {
    // From the memo the listing carries: no query, which would wait for a worker under load.
    out.push(
      ...(await pendingOf(
        client,
        wf.memo as ReservationMemo | undefined,
        wf.typedSearchAttributes.get(NovaStatus),
      )),
    );
  }
  return out;
}

/** One server as its caller may see it; 404 for another project's server or a deleted one. */
export async function getServer(client: Client, caller: Caller, id: string): Promise<ServerRecord> {
  return (await visibleServer(client, caller, id)).record;
}

/** The server as found, when the caller may see it; 404 otherwise (another project's, deleted, unknown). */
export async function visibleServer(client: Client, caller: Caller, id: string): Promise<FoundServer> {
  const found = isUuid(id) ? await findServer(client, id) : undefined;
  const record = found?.record;
  if (!record || record.vmState === 'deleted' || (!caller.isAdmin && record.projectId !== caller.projectId)) {
    throw notFound(`Instance ${id} could not be found.`);
  }
  return found;
}

/** Sends a lifecycle action; the server's validator answers 409 when its state does not allow it. */
export async function serverAction(
  client: Client,
  caller: Caller,
  id: string,
  action: ServerAction,
): Promise<void> {
  const found = await visibleServer(client, caller, id);
  if (found.kind === 'pending') {
    // Not started yet: the server is building, which only a delete may interrupt.
    if (action.type !== 'delete' || !allowedFrom(action, found.record))
      throw conflict(conflictMessage(action, found.record));
    if ((await cancelPending(client, found.reservationId, id)) === 'cancelled') return;
  }
  try {
    await sendServerAction(client, id, {
      action,
      caller: { userId: caller.userId, projectId: caller.projectId, requestId: caller.requestId },
      overridesLock: caller.isAdmin,
    });
  } catch (err) {
    if (isClosed(err)) {
      throw notFound(`Instance ${id} could not be found.`);
    }
    const nova = fromFailure(err);
    if (nova) throw nova;
    throw err;
  }
}

/** How long an edit waits for a building server's entity to start before it answers 409. */
const EDIT_WAIT_MS = 15_000;

/**
 * Changes what a server is called and carries (name, description, metadata, tags, access IPs, lock,
 * reset state); a server whose entity has not started within EDIT_WAIT_MS is building (409).
 */
export async function editVisibleServer(
  client: Client,
  caller: Caller,
  id: string,
  edit: ServerEdit,
): Promise<ServerRecord> {
  let found = await visibleServer(client, caller, id);
  // Nova renames a building server too: wait (bounded) for its entity, which scheduling starts.
  for (let waited = 0; found.kind === 'pending' && waited < EDIT_WAIT_MS; waited += 250) {
    await sleep(250);
    found = await visibleServer(client, caller, id);
  }
  if (found.kind === 'pending')
    throw conflict(`Cannot 'update' instance ${id} while it is in vm_state building`);
  try {
    return await editServer(client, id, { asAdmin: caller.isAdmin, ...edit });
  } catch (err) {
    if (isClosed(err)) throw notFound(`Instance ${id} could not be found.`);
    const nova = fromFailure(err);
    if (nova) throw nova;
    throw err;
  }
}

export interface ListFilters {
  reservationId?: string;
  status?: string;
  name?: string;
  flavor?: string;
  image?: string;
  /** ISO time: only servers updated at or after it. */
  changesSince?: string;
  allTenants?: boolean;
  /** With all_tenants: only this project's servers (Nova's `tenant_id` / `project_id`). */
  projectId?: string;
  /** Admins: only servers on this host. */
  host?: string;
}

/**
 * The views the memos of server entities matching the clauses keep (no query to any workflow); a
 * clause value that could add a clause of its own matches nothing.
 */
export async function serverViewsWhere(
  client: Client,
  ...clauses: (Clause | undefined)[]
): Promise<ServerMemoView[]> {
  let query: string;
  try {
    query = visibilityQuery(eq(NovaKind, 'server'), ...clauses);
  } catch (err) {
    if (err instanceof UnsafeQueryValue) return [];
    throw err;
  }
  const byId = new Map<string, ServerMemoView>();
  for await (const wf of client.workflow.list({ query })) {
    const view = (wf as WorkflowExecutionInfo).memo?.view as ServerMemoView | undefined;
    if (view) byId.set(view.id, view);
  }
  return [...byId.values()];
}

/** Servers of the caller's project (of every project with all_tenants, which policy allowed), newest first. */
export async function listServers(client: Client, caller: Caller, f: ListFilters): Promise<ServerMemoView[]> {
  // A filter no server could match (a reservation id of another shape) matches nothing: no query.
  if (f.reservationId !== undefined && !isReservationId(f.reservationId)) return [];
  const nameFilter = f.name === undefined ? undefined : compileNameFilter(f.name);
  const byId = new Map(
    (
      await serverViewsWhere(
        client,
        ne(NovaStatus, 'DELETED'),
        f.allTenants
          ? f.projectId === undefined
            ? undefined
            : eq(NovaProject, f.projectId)
          : eq(NovaProject, caller.projectId),
        f.reservationId === undefined ? undefined : eq(NovaReservation, f.reservationId),
        f.status === undefined ? undefined : eq(NovaStatus, f.status),
      )
    ).map((v) => [v.id, v]),
  );
  if (!f.status || f.status === 'BUILD') {
    const scoped = f.allTenants ? { ...caller, isAdmin: true } : { ...caller, isAdmin: false };
    for (const p of await pendingServers(client, scoped, f.reservationId))
      if (!byId.has(p.id)) byId.set(p.id, p);
  }
  let servers = [...byId.values()];
  if (nameFilter) servers = await filterYielding(servers, (s) => nameFilter(s.name));
  if (f.flavor) servers = servers.filter((s) => s.flavor.id === f.flavor);
  if (f.image) servers = servers.filter((s) => s.imageRef === f.image);
  if (f.allTenants && f.projectId !== undefined) servers = servers.filter((s) => s.projectId === f.projectId);
  if (f.host !== undefined) servers = servers.filter((s) => s.host === f.host);
  if (f.changesSince) {
    const since = timeQuery('changes-since', f.changesSince);
    servers = servers.filter((s) => Date.parse(s.updated) >= since - 999);
  }
  return servers.sort(
    (a, b) => b.created.localeCompare(a.created) || b.launchIndex - a.launchIndex || a.id.localeCompare(b.id),
  );
}
