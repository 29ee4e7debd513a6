import type { Flavor } from '../../common/types';

/** A flavor as the catalog keeps it: its size, who may use it, and its extra specs. */
export interface FlavorRecord extends Flavor {
  isPublic: boolean;
  rxtxFactor: number;
  description: string | null;
  extraSpecs: Record<string, string>;
  /** Projects a private flavor is shared with (Nova's flavor access). */
  access: string[];
}

/** A change of the catalog, decided in order by its entity. */
export type FlavorChange =
  | { op: 'create'; flavor: FlavorRecord }
  | { op: 'delete'; id: string }
  | { op: 'describe'; id: string; description: string | null }
  | { op: 'set_specs'; id: string; specs: Record<string, string> }
  | { op: 'unset_spec'; id: string; key: string }
  | { op: 'add_access'; id: string; project: string }
  | { op: 'remove_access'; id: string; project: string };

/** What the catalog's memo holds: every flavor but the shipped ones untouched, and the deleted ids. */
export interface FlavorCatalogMemo {
  flavors: FlavorRecord[];
  deleted: string[];
}
