import { defineQuery, defineUpdate } from '@temporalio/workflow';

/** One key pair of a user, as Nova keeps it. */
export interface KeypairRecord {
  id: number;
  name: string;
  type: 'ssh' | 'x509';
  public_key: string;
  fingerprint: string;
  user_id: string;
  created_at: string;
}

/** keypairs/<user id>: the user's key pairs, and its messages. */
export const keypairsWorkflowId = (userId: string) => `keypairs/${userId}`;
export const listKeypairsQuery = defineQuery<KeypairRecord[]>('listKeypairs');
export const addKeypairUpdate = defineUpdate<KeypairRecord, [Omit<KeypairRecord, 'id'>]>('addKeypair');
export const deleteKeypairUpdate = defineUpdate<void, [{ name: string }]>('deleteKeypair');
