import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowEntry } from '../extensions/bundle';
import { builtinWorkflowModules, builtinWorkflowTypes } from '../extensions/registry';
import { TRACED_WORKFLOW_MODULES, WORKFLOW_BUNDLES } from '../workers/workflow-code';

/**
 * `npm run bundle-workflows [dir]` (default dist/workflows): the workflow code of every built-in
 * extension, bundled ahead of time so workers start without bundling (the image builds it): one
 * bundle plain, one with OpenTelemetry's workflow interceptors for workers that trace. A worker
 * given NOVAFLOW_WORKFLOW_BUNDLE_DIR loads the one it needs.
 */
async function main() {
  const dir = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'dist', 'workflows'));
  fs.mkdirSync(dir, { recursive: true });
  const workflowsPath = workflowEntry(builtinWorkflowTypes());
  for (const [file, extra] of [
    [WORKFLOW_BUNDLES.plain, []],
    [WORKFLOW_BUNDLES.traced, TRACED_WORKFLOW_MODULES],
  ] as const) {
    const { code } = await bundleWorkflowCode({
      workflowsPath,
      workflowInterceptorModules: [...builtinWorkflowModules(), ...extra],
    });
    fs.writeFileSync(path.join(dir, file), code);
    console.log(`wrote ${path.join(dir, file)} (${(code.length / 1024).toFixed(0)} KB)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
