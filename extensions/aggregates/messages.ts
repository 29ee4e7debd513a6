import { defineQuery, defineUpdate } from '@temporalio/workflow';

/** A host aggregate, as Nova shows it (2.41+: with its uuid). */
export interface AggregateRecord {
  id: number;
  uuid: string;
  name: string;
  availability_zone: string | null;
  hosts: string[];
  metadata: Record<string, string>;
  created_at: string;
  updated_at: string | null;
}

/** One change to the aggregates, decided in order by their entity. */
export type AggregateChange =
  | { op: 'create'; uuid: string; name: string; availability_zone: string | null }
  | { op: 'update'; id: number; name?: string; availability_zone?: string | null }
  | { op: 'delete'; id: number }
  | { op: 'add_host' | 'remove_host'; id: number; host: string }
  | { op: 'set_metadata'; id: number; metadata: Record<string, string | null> };

export const AGGREGATES_ID = 'aggregates';
export const listAggregatesQuery = defineQuery<AggregateRecord[]>('listAggregates');
export const changeAggregateUpdate = defineUpdate<AggregateRecord | null, [AggregateChange & { at: string }]>(
  'changeAggregate',
);
