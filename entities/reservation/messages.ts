import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ServerRecord } from '../server/types';
import type { ReservationRecord, ServerOutcome } from './types';

/** The reservation's updates, signals and queries, shared by its workflow and its clients. */
export const serverBuiltSignal = defineSignal<[ServerOutcome]>('serverBuilt');
export const describeReservationQuery = defineQuery<ReservationRecord>('describeReservation');
/** Servers admitted but not started yet, so a GET right after the 202 already finds them. */
export const pendingServersQuery = defineQuery<ServerRecord[]>('pendingServers');
/**
 * A delete of a server whose entity is not started yet: the reservation, which owns it until the
 * spawn stage, drops it (`cancelled`: quota released now, any claim released before spawn) or, when
 * its spawn has begun, says so (`launched`: the delete goes to the server's entity). An update
 * because the API must know which before it answers.
 */
export const cancelServerUpdate = defineUpdate<'cancelled' | 'launched', [{ serverId: string }]>(
  'cancelServer',
);
