import path from 'node:path';
import { composeExtensions, type ComposedExtensions } from './compose';
import { consoleOutputExtension } from './os-console-output';
import { serverDiagnosticsExtension } from './os-server-diagnostics';
import { hypervisorsExtension } from './os-hypervisors';
import { imagesExtension } from './images';
import { keypairsExtension } from './keypairs';
import { availabilityZonesExtension } from './availability-zones';
import { aggregatesExtension } from './aggregates';
import { multipleCreateExtension } from './os-multiple-create';
import { networksExtension } from './networks';
import { schedulerHintsExtension } from './scheduler-hints';
import type { NovaExtension } from './types';

/** Every built-in extension, in listing order. */
export const BUILTIN_EXTENSIONS: NovaExtension[] = [
  hypervisorsExtension,
  consoleOutputExtension,
  serverDiagnosticsExtension,
  multipleCreateExtension,
  schedulerHintsExtension,
  imagesExtension,
  keypairsExtension,
  availabilityZonesExtension,
  aggregatesExtension,
  networksExtension,
];

function loadModule(ref: string): NovaExtension {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(path.resolve(ref)) as { default?: NovaExtension; extension?: NovaExtension };
  const ext = mod.default ?? mod.extension;
  if (!ext?.descriptor?.alias) throw new Error(`novaflow: ${ref} does not export an extension`);
  return ext;
}

/**
 * Which extensions load is configuration: `all` (the built-ins), `none`, or a comma list of built-in
 * aliases and paths of third-party extension modules (`all,./examples/extensions/audit`).
 */
export function resolveExtensions(
  spec: string,
  builtins: NovaExtension[] = BUILTIN_EXTENSIONS,
): NovaExtension[] {
  const out: NovaExtension[] = [];
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (item === 'none') continue;
    if (item === 'all') out.push(...builtins);
    else if (item.includes('/')) out.push(loadModule(item));
    else {
      const ext = builtins.find((e) => e.descriptor.alias === item);
      if (!ext)
        throw new Error(
          `novaflow: unknown extension "${item}" (built in: ${builtins.map((e) => e.descriptor.alias).join(', ')})`,
        );
      out.push(ext);
    }
  }
  return out.filter((e, i) => out.findIndex((o) => o.descriptor.alias === e.descriptor.alias) === i);
}

/** Resolves the spec and merges the extensions for one process. */
export function loadExtensions(spec: string): ComposedExtensions {
  return composeExtensions(resolveExtensions(spec));
}

/**
 * What the workers load: every built-in extension plus the configured ones. Configuration decides what
 * the API offers and what new workflows capture; workers keep every built-in's activities and filters
 * so a workflow that captured an extension still finishes after the extension is turned off.
 */
export function loadWorkerExtensions(spec: string): ComposedExtensions {
  return composeExtensions(withBuiltins(resolveExtensions(spec)));
}

/** The built-in extensions plus these, without duplicates. */
export function withBuiltins(extensions: NovaExtension[]): NovaExtension[] {
  const extra = extensions.filter(
    (e) => !BUILTIN_EXTENSIONS.some((b) => b.descriptor.alias === e.descriptor.alias),
  );
  return [...BUILTIN_EXTENSIONS, ...extra];
}

/** Interceptor modules of every available built-in extension: the workflow bundle carries them all. */
export function builtinWorkflowModules(): string[] {
  return BUILTIN_EXTENSIONS.flatMap((e) => e.workflowModules ?? []);
}

/** Workflow-type modules of every built-in extension, re-exported by the bundle's entry. */
export function builtinWorkflowTypes(): string[] {
  return BUILTIN_EXTENSIONS.flatMap((e) => e.workflowTypes ?? []);
}
