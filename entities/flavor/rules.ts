import { FLAVORS } from '../../common/flavors';
import type { FlavorCatalogMemo, FlavorRecord } from './types';

/** Nova's default flavors as catalog records: public, no extra specs. */
export const SHIPPED_FLAVORS: readonly FlavorRecord[] = FLAVORS.map((f) => ({
  ...f,
  isPublic: true,
  rxtxFactor: 1,
  description: null,
  extraSpecs: {},
  access: [],
}));

/** Every flavor in force: the shipped ones not deleted or changed, then the catalog's, by id. */
export function catalogFlavors(memo: FlavorCatalogMemo | undefined): FlavorRecord[] {
  const own = new Map((memo?.flavors ?? []).map((f) => [f.id, f]));
  const deleted = new Set(memo?.deleted ?? []);
  const shipped = SHIPPED_FLAVORS.filter((f) => !own.has(f.id) && !deleted.has(f.id));
  return [...shipped, ...own.values()].sort((a, b) => compareIds(a.id, b.id));
}

/** Nova sorts flavors by flavorid as text; numbers first by value reads better and keeps 1..5 in order. */
function compareIds(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? Number(a) : NaN;
  const nb = /^\d+$/.test(b) ? Number(b) : NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  if (!Number.isNaN(na)) return -1;
  if (!Number.isNaN(nb)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether a caller may see and use a flavor: public ones, private ones shared with the project, all for admins. */
export function flavorVisibleTo(f: FlavorRecord, caller: { isAdmin: boolean; projectId: string }): boolean {
  return f.isPublic || caller.isAdmin || f.access.includes(caller.projectId);
}
