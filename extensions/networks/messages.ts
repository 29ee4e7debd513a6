import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { AllocateRequest, NetworkRecord, PortRecord } from './types';

/** The networks' messages, shared by their workflows and their client. */

export const NETWORK_CATALOG_ID = 'network-catalog';
export const listNetworksQuery = defineQuery<NetworkRecord[]>('listNetworks');
export const putNetworkUpdate = defineUpdate<NetworkRecord, [NetworkRecord]>('putNetwork');
export const deleteNetworkUpdate = defineUpdate<void, [{ id: string }]>('deleteNetwork');

/** ipam/<network id>: the entity that owns one network's addresses. */
export const ipamWorkflowId = (networkId: string) => `ipam/${networkId}`;
export const listPortsQuery = defineQuery<PortRecord[]>('listPorts');
/** How many addresses are given out, exactly (the memo's count may be off by its `slack`). */
export const usedAddressesQuery = defineQuery<number>('usedAddresses');
/**
 * The address entity's revision, in its input: from 1 on, its memo's count is republished only when it
 * moved by USED_SLACK, not on every allocation and release (each publish is a visibility write).
 */
export const IPAM_REVISION = 1;
export const USED_SLACK = 32;
/** The memo an address entity publishes: `used` is within `slack` of the true count. */
export interface IpamMemo {
  used: number;
  slack?: number;
}
/** One NIC's answer: its port, or why the network has none for it. */
export type AllocateOutcome = { port: PortRecord } | { refused: string };
/** Ports for NICs of servers, decided in order; the same key answers the same port. */
export const allocatePortsUpdate = defineUpdate<AllocateOutcome[], [AllocateRequest[]]>('allocatePorts');
/** Gives back every port these servers own; answers how many there were. */
export const releasePortsUpdate = defineUpdate<number, [{ owners: string[] }]>('releasePorts');
