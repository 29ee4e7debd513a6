import { makeContinueAsNewFunc, setHandler, upsertMemo } from '@temporalio/workflow';
import { conflict, notFound, toFailure } from '../../common/errors';
import { untilContinueAsNew } from '../../workflows/entity';
import { changeFlavorUpdate } from './messages';
import { catalogFlavors } from './rules';
import type { FlavorCatalogMemo, FlavorChange, FlavorRecord } from './types';

/**
 * flavor-catalog: the flavors admins created, the shipped ones they changed (extra specs, access)
 * and the ids they deleted. One entity decides every change in order, so two creates of one name or
 * id never both pass; its memo is what the API reads (a describe, answered without a worker).
 */
export async function flavorCatalogWorkflow(
  input: FlavorCatalogMemo = { flavors: [], deleted: [] },
): Promise<void> {
  const own = new Map(input.flavors.map((f) => [f.id, f]));
  const deleted = new Set(input.deleted);
  const memo = (): FlavorCatalogMemo => ({ flavors: [...own.values()], deleted: [...deleted] });
  const find = (id: string): FlavorRecord => {
    const f = catalogFlavors(memo()).find((x) => x.id === id);
    if (!f) throw toFailure(notFound(`Flavor ${id} could not be found.`));
    return f;
  };
  const validate = (c: FlavorChange) => {
    if (c.op === 'create') {
      const all = catalogFlavors(memo());
      if (all.some((f) => f.id === c.flavor.id))
        throw toFailure(conflict(`Flavor with ID ${c.flavor.id} already exists.`));
      if (all.some((f) => f.name === c.flavor.name))
        throw toFailure(conflict(`Flavor with name ${c.flavor.name} already exists.`));
      return;
    }
    const f = find(c.id);
    if (c.op === 'unset_spec' && !(c.key in f.extraSpecs))
      throw toFailure(notFound(`Flavor ${c.id} has no extra specs with key ${c.key}.`));
    if (c.op === 'add_access' && f.access.includes(c.project))
      throw toFailure(
        conflict(`Flavor access already exists for flavor ${c.id} and project ${c.project} combination.`),
      );
    if (c.op === 'remove_access' && !f.access.includes(c.project))
      throw toFailure(notFound(`Flavor access not found for ${c.id} / ${c.project} combination.`));
  };
  setHandler(
    changeFlavorUpdate,
    (c) => {
      let out: FlavorRecord | null = null;
      if (c.op === 'create') out = c.flavor;
      else if (c.op === 'delete') {
        own.delete(c.id);
        deleted.add(c.id);
      } else {
        const f = { ...find(c.id) };
        if (c.op === 'describe') f.description = c.description;
        if (c.op === 'set_specs') f.extraSpecs = { ...f.extraSpecs, ...c.specs };
        if (c.op === 'unset_spec') {
          const { [c.key]: _gone, ...rest } = f.extraSpecs;
          f.extraSpecs = rest;
        }
        if (c.op === 'add_access') f.access = [...f.access, c.project];
        if (c.op === 'remove_access') f.access = f.access.filter((p) => p !== c.project);
        out = f;
      }
      if (out) {
        own.set(out.id, out);
        deleted.delete(out.id);
      }
      upsertMemo({ catalog: memo() });
      return out;
    },
    { validator: validate },
  );
  await untilContinueAsNew();
  await makeContinueAsNewFunc<typeof flavorCatalogWorkflow>()(memo());
}
