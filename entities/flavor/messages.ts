import { defineUpdate } from '@temporalio/workflow';
import type { FlavorChange, FlavorRecord } from './types';

export const FLAVOR_CATALOG_ID = 'flavor-catalog';

/** One change; answers the flavor after it (none for a delete). Refusals (404, 409) are failures. */
export const changeFlavorUpdate = defineUpdate<FlavorRecord | null, [FlavorChange]>('changeFlavor');
