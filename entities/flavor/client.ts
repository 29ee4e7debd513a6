import type { Client } from '@temporalio/client';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { Cached } from '../../common/concurrency';
import { fromFailure } from '../../common/errors';
import { CONTROL_TASK_QUEUE } from '../../common/names';
import type { Flavor } from '../../common/types';
import { isNotFound } from '../client-errors';
import { changeFlavorUpdate, FLAVOR_CATALOG_ID } from './messages';
import { catalogFlavors, flavorVisibleTo } from './rules';
import type { FlavorCatalogMemo, FlavorChange, FlavorRecord } from './types';
import type { flavorCatalogWorkflow } from './workflow';

/** How old a read of the catalog a create may use (a refusal always reads again). */
const READ_TTL_MS = 1000;

/** Every flavor in force, from the catalog entity's memo (a describe: no worker needed). */
export async function listFlavors(client: Client): Promise<FlavorRecord[]> {
  try {
    const memo = (await client.workflow.getHandle(FLAVOR_CATALOG_ID).describe()).memo?.catalog;
    return catalogFlavors(memo as FlavorCatalogMemo | undefined);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return catalogFlavors(undefined); // nothing changed yet: the shipped flavors
  }
}

const reads = new WeakMap<Client, Cached<FlavorRecord[]>>();
function recent(client: Client): Cached<FlavorRecord[]> {
  let r = reads.get(client);
  if (!r) reads.set(client, (r = new Cached(() => listFlavors(client), READ_TTL_MS)));
  return r;
}

/**
 * The flavor a create names (an id, or a link whose last segment is the id), if the caller may use
 * it. A read up to a second old is used to accept; never to refuse.
 */
export async function findFlavorFor(
  client: Client,
  caller: { isAdmin: boolean; projectId: string },
  ref: string,
): Promise<Flavor | undefined> {
  const id = ref.split('/').pop() ?? ref;
  const pick = (all: FlavorRecord[]) => all.find((f) => f.id === id && flavorVisibleTo(f, caller));
  const found = pick(await recent(client).get()) ?? pick(await recent(client).get(true));
  if (!found) return undefined;
  const { id: fid, name, vcpus, ram, disk, ephemeral, swap, extraSpecs } = found;
  return {
    id: fid,
    name,
    vcpus,
    ram,
    disk,
    ephemeral,
    swap,
    ...(Object.keys(extraSpecs).length ? { extraSpecs } : {}),
  };
}

/** One change, decided by the catalog entity (started by the first change); 404 and 409 come back as faults. */
export async function changeFlavor(client: Client, change: FlavorChange): Promise<FlavorRecord | null> {
  try {
    return await client.workflow.executeUpdateWithStart(changeFlavorUpdate, {
      args: [change],
      startWorkflowOperation: new WithStartWorkflowOperation<typeof flavorCatalogWorkflow>(
        'flavorCatalogWorkflow',
        {
          workflowId: FLAVOR_CATALOG_ID,
          taskQueue: CONTROL_TASK_QUEUE,
          args: [{ flavors: [], deleted: [] }],
          workflowIdConflictPolicy: 'USE_EXISTING',
        },
      ),
    });
  } catch (err) {
    throw fromFailure(err) ?? err;
  } finally {
    reads.delete(client);
  }
}
