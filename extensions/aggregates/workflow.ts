import { getExternalWorkflowHandle, makeContinueAsNewFunc, patched, setHandler } from '@temporalio/workflow';
import { hostWorkflowId } from '../../common/names';
import { setHostAttributesSignal } from '../../entities/host/messages';
import { badRequest, conflict, notFound, toFailure, type NovaError } from '../../common/errors';
import { untilContinueAsNew } from '../../workflows/entity';
import {
  changeAggregateUpdate,
  listAggregatesQuery,
  type AggregateChange,
  type AggregateRecord,
} from './messages';

/** Aggregates tell their hosts their metadata (histories from before replay without the signals). */
const TELL_HOSTS = 'aggregates-tell-hosts';

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
  // A host is in one zone: no aggregate may put a host of another aggregate in a second one.
  const zonesElsewhere = (hosts: string[], zone: string | null | undefined) =>
    zone
      ? [
          ...new Set(
            [...aggregates.values()]
              .filter((a) => a.id !== agg.id && a.availability_zone && a.availability_zone !== zone)
              .filter((a) => a.hosts.some((h) => hosts.includes(h)))
              .map((a) => `'${a.availability_zone}'`),
          ),
        ]
      : [];
  if (c.op === 'add_host') {
    const clash = zonesElsewhere([c.host], agg.availability_zone);
    if (clash.length)
      return conflict(
        `Cannot add host to aggregate ${c.id}. Reason: One or more hosts already in availability zone(s) [${clash.join(', ')}].`,
      );
  }
  const newZone =
    c.op === 'update'
      ? c.availability_zone
      : c.op === 'set_metadata'
        ? c.metadata.availability_zone
        : undefined;
  const clash = zonesElsewhere(agg.hosts, newZone);
  if (clash.length)
    return badRequest(
      `Cannot update aggregate ${c.id}. Reason: One or more hosts already in availability zone(s) [${clash.join(', ')}].`,
    );
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
  /** Tells hosts what this aggregate says about them (its metadata, its zone), or that it no longer does. */
  const tell = async (hosts: string[], agg: AggregateRecord, present: boolean) => {
    if (!patched(TELL_HOSTS)) return;
    for (const host of hosts) {
      try {
        await getExternalWorkflowHandle(hostWorkflowId(host)).signal(setHostAttributesSignal, {
          source: `aggregate:${agg.uuid}`,
          attributes: present ? { ...agg.metadata } : null,
        });
      } catch {
        // A host whose entity is gone has nothing to be told.
      }
    }
  };
  const tellAll = async () => {
    for (const agg of [...aggregates.values()]) await tell(agg.hosts, agg, true);
  };
  setHandler(
    changeAggregateUpdate,
    async (c) => {
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
      // Decided (the state changed before any await, so changes stay in order); now the hosts hear of
      // it — every aggregate's hosts, so hosts of aggregates made before aggregates told them catch up.
      if (c.op === 'remove_host') await tell([c.host], agg, false);
      await tellAll();
      return agg;
    },
    {
      validator: (c) => {
        const refused = refusal(aggregates, c);
        if (refused) throw toFailure(refused);
      },
    },
  );
  // A new run (after a restart of the history, or an upgrade) tells every host what its aggregates say.
  await tellAll();
  await untilContinueAsNew();
  await makeContinueAsNewFunc<typeof aggregatesWorkflow>()({ aggregates: [...aggregates.values()], nextId });
}
