import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  ClaimRequest,
  HostAttributes,
  HostReport,
  HostState,
  ServiceHeartbeat,
  ServiceState,
} from './types';

/** The host entity's updates, signals and queries, shared by its workflow and its client. */
export const hostReportSignal = defineSignal<[HostReport]>('hostReport');
/** A claim is an update: the scheduler must know whether the host took it. */
export const claimUpdate = defineUpdate<void, [ClaimRequest]>('claim');
export const releaseClaimsSignal = defineSignal<[{ keys: string[] }]>('releaseClaims');
export const setHostEnabledUpdate = defineUpdate<HostState, [{ enabled: boolean; reason: string | null }]>(
  'setHostEnabled',
);
export const hostStateQuery = defineQuery<HostState>('hostState');
/** Operator metadata of a host from one source (a host aggregate); see `HostState.attributes`. */
export const setHostAttributesSignal = defineSignal<[HostAttributes]>('setHostAttributes');
/** A compute service's heartbeat (one per process and period, for every host it serves). */
export const serviceHeartbeatSignal = defineSignal<[ServiceHeartbeat]>('serviceHeartbeat');
export const serviceStateQuery = defineQuery<ServiceState>('serviceState');
