import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The core workflows: the bundle entry when no extension ships workflow types. */
export const CORE_WORKFLOWS_PATH = path.join(__dirname, '..', 'workflows', 'index.ts');

/**
 * The entry module of the workflow bundle: the core workflows plus the workflow types extensions ship.
 * Temporal looks workflow types up among the entry's exports, so extension workflows are re-exported
 * from a small generated file rather than from a core module that would have to know them.
 */
export function workflowEntry(workflowTypes: readonly string[]): string {
  const modules = [...new Set(workflowTypes)];
  if (modules.length === 0) return CORE_WORKFLOWS_PATH;
  const text = [CORE_WORKFLOWS_PATH, ...modules]
    .map((m) => `export * from ${JSON.stringify(m.replace(/\.ts$/, ''))};`)
    .join('\n');
  const digest = createHash('sha1').update(text).digest('hex').slice(0, 12);
  // Inside the project (git-ignored .data/) so the bundler resolves @temporalio/* from its node_modules.
  const dir = path.join(__dirname, '..', '.data', 'workflow-entries');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `workflows-${digest}.ts`);
  fs.writeFileSync(file, `${text}\n`);
  return file;
}
