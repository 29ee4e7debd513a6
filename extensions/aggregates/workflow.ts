import { makeContinueAsNewFunc, setHandler } from '@temporalio/workflow';
import { badRequest, conflict, notFound, toFailure, type NovaError } from '../../common/errors';
import { untilContinueAsNew } from '../../workflows/entity';
import {
  changeAggregateUpdate,
  listAggregatesQuery,
  type AggregateChange,
  type AggregateRecord,
} from './messages';

export interface AggregatesInput {
  aggregates?: AggregateRecord[];
  nextId?: number;
}

/** Nova's refusal of a change, or undefined when it may be made. */
function refusal(aggregates: Map<number, AggregateRecord>, c: AggregateChange): NovaError | undefined {
  const nameTaken = (name: string, id?: number) =>
    [...aggregates.values()].some((a) => a.name === name && a.id !== id);
  if (c.op === 'create') {
    return nameTaken(c.name) ? conflict(`Aggregate ${c.name} already exists.`) : undefined;
  }
  const agg = aggregates.get(c.id);
  if (!agg) return notFound(`Aggregate ${c.id} could not be found.`);
  if (c.op === 'update' && c.name !== undefined && nameTaken(c.name, c.id))
    return conflict(`Aggregate ${c.name} already exists.`);
  if (c.op === 'delete' && agg.hosts.length > 0)
    return badRequest(`Cannot remove aggregate ${c.id}: it still has hosts ${agg.hosts.join(', ')}.`);
  if (c.op === 'add_host' && agg.hosts.includes(c.host))
    return conflict(`Aggregate ${c.id} already has host ${c.host}.`);
  if (c.op === 'remove_host' && !agg.hosts.includes(c.host))
    return notFound(`Cannot remove host ${c.host} in aggregate ${c.id}`);
  return undefined;
}

/**
 * aggregates: every host aggregate (one entity; an aggregate is operator data, and each change is an
 * update decided in order, so names stay unique and a host is added once).
 */
export async function aggregatesWorkflow(input: AggregatesInput = {}): Promise<void> {
  const aggregates = new Map((input.aggregates ?? []).map((a) => [a.id, a]));
  let nextId = input.nextId ?? 1;
  setHandler(listAggregatesQuery, () => [...aggregates.values()]);
  setHandler(
    changeAggregateUpdate,
    (c) => {
      if (c.op === 'create') {
        const agg: AggregateRecord = {
          id: nextId++,
          uuid: c.uuid,
          name: c.name,
          availability_zone: c.availability_zone,
          hosts: [],
          metadata: c.availability_zone ? { availability_zone: c.availability_zone } : {},
          created_at: c.at,
          updated_at: null,
        };
        aggregates.set(agg.id, agg);
        return agg;
      }
      const agg = aggregates.get(c.id)!;
      if (c.op === 'delete') {
        aggregates.delete(c.id);
        return null;
      }
      if (c.op === 'update') {
        if (c.name !== undefined) agg.name = c.name;
        if (c.availability_zone !== undefined) {
          agg.availability_zone = c.availability_zone;
          if (c.availability_zone) agg.metadata.availability_zone = c.availability_zone;
          else delete agg.metadata.availability_zone;
        }
      }
      if (c.op === 'add_host') agg.hosts.push(c.host);
      if (c.op === 'remove_host') agg.hosts = agg.hosts.filter((h) => h !== c.host);
      if (c.op === 'set_metadata') {
        for (const [k, v] of Object.entries(c.metadata)) {
          if (v === null) delete agg.metadata[k];
          else agg.metadata[k] = v;
        }
        agg.availability_zone = agg.metadata.availability_zone ?? null;
      }
      agg.updated_at = c.at;
      return agg;
    },
    {
      validator: (c) => {
        const refused = refusal(aggregates, c);
        if (refused) throw toFailure(refused);
      },
    },
  );
  await untilContinueAsNew();
  await makeContinueAsNewFunc<typeof aggregatesWorkflow>()({ aggregates: [...aggregates.values()], nextId });
}
