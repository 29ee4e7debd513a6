import type { ApiExtensionParts } from '../api/app';
import { CORE_SERVER_ACTIONS } from '../api/routes/server-actions';
import type { FilterFactory } from '../activities/control';
import type { Client } from '@temporalio/client';
import type { VirtDriver } from '../drivers/driver';
import type { NovaExtension } from './types';

type ActivityMap = Record<string, (...args: never[]) => Promise<unknown>>;

/** Everything the loaded extensions contribute, merged for each process. */
export interface ComposedExtensions {
  extensions: NovaExtension[];
  api: ApiExtensionParts;
  controlActivities(deps: { client: Client }): ActivityMap;
  filterFactories: Record<string, FilterFactory>;
  computeActivities(deps: { driver: VirtDriver; host: string }): ActivityMap;
  workflowModules: string[];
  workflowTypes: string[];
  /** Workflow types of the entities the extensions run on the admission queue. */
  admissionEntities: string[];
}

function mergeUnique<T>(
  target: Record<string, T>,
  add: Record<string, T> | undefined,
  what: string,
  owner: string,
) {
  for (const [k, v] of Object.entries(add ?? {})) {
    if (k in target) throw new Error(`extension ${owner}: ${what} "${k}" is already registered`);
    target[k] = v;
  }
}

/** Merges extensions the way Temporal plugins merge: maps are added (no clashes), lists appended. */
export function composeExtensions(extensions: NovaExtension[]): ComposedExtensions {
  const api: ApiExtensionParts = {
    routes: [],
    schema: { serverFields: {}, topLevelFields: {} },
    decorators: [],
    aliases: extensions.map((e) => e.descriptor.alias),
    descriptors: extensions.map((e) => e.descriptor),
    collections: extensions.flatMap((e) => e.api?.collections ?? []),
    queryParams: Object.assign({}, ...extensions.map((e) => e.api?.queryParams ?? {})) as Record<
      string,
      string[]
    >,
    createValidators: extensions.flatMap((e) => (e.api?.validateCreate ? [e.api.validateCreate] : [])),
    serverActions: {},
    policies: extensions.flatMap((e) => e.api?.policies ?? []),
    services: extensions.flatMap((e) => e.api?.services ?? []),
    operations: extensions.flatMap((e) => e.api?.operations ?? []),
    buildSteps: extensions.flatMap((e) => e.buildSteps ?? []),
  };
  const stepNames = api.buildSteps.map((b) => b.name);
  const twice = stepNames.find((n, i) => stepNames.indexOf(n) !== i);
  if (twice) throw new Error(`build step "${twice}" is declared by two extensions`);
  const filterFactories: Record<string, FilterFactory> = {};
  for (const ext of extensions) {
    const owner = ext.descriptor.alias;
    if (ext.api?.routes) api.routes.push(ext.api.routes);
    mergeUnique(api.schema.serverFields, ext.api?.serverFields, 'create field', owner);
    mergeUnique(api.schema.topLevelFields, ext.api?.topLevelFields, 'create field', owner);
    api.decorators.push(...(ext.api?.decorators ?? []));
    for (const name of Object.keys(ext.api?.serverActions ?? {}))
      if (CORE_SERVER_ACTIONS.includes(name))
        throw new Error(`extension ${owner}: server action "${name}" is a core action`);
    mergeUnique(api.serverActions, ext.api?.serverActions, 'server action', owner);
    mergeUnique(filterFactories, ext.control?.filters, 'filter', owner);
  }
  return {
    extensions,
    api,
    filterFactories,
    controlActivities(deps) {
      const out: ActivityMap = {};
      for (const ext of extensions)
        mergeUnique(out, ext.control?.activities?.(deps), 'activity', ext.descriptor.alias);
      return out;
    },
    computeActivities(deps) {
      const out: ActivityMap = {};
      for (const ext of extensions)
        mergeUnique(out, ext.compute?.activities?.(deps), 'activity', ext.descriptor.alias);
      return out;
    },
    workflowModules: extensions.flatMap((e) => e.workflowModules ?? []),
    workflowTypes: extensions.flatMap((e) => e.workflowTypes ?? []),
    admissionEntities: extensions.flatMap((e) => e.admissionEntities ?? []),
  };
}
