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
/** A port for one NIC of a server; the same key answers the same port. */
export const allocatePortUpdate = defineUpdate<PortRecord, [AllocateRequest]>('allocatePort');
/** Gives back every port a server owns; answers how many there were. */
export const releasePortsUpdate = defineUpdate<number, [{ owner: string }]>('releasePorts');
