import { execFileSync } from 'node:child_process';

/**
 * patches/ changes dependencies where they cost novaflow more than they give (README, "Patched
 * dependencies"); npm ci applies them (postinstall), and so does the image's build.
 */
describe('given the patched Temporal worker', () => {
  /** Whether a fresh workflow thread's global handlers install the per-promise stack hook. */
  function promiseHookInstalled(env: NodeJS.ProcessEnv): boolean {
    const script = `
      const { GlobalHandlers } = require('@temporalio/worker/lib/workflow/vm-shared');
      const h = new GlobalHandlers();
      h.install();
      process.stdout.write(String(h.promiseHookInstalled));`;
    const out = execFileSync(process.execPath, ['-e', script], {
      env: { ...process.env, NOVAFLOW_WORKFLOW_STACK_TRACES: undefined, ...env },
      encoding: 'utf8',
    });
    return out === 'true';
  }

  it('then workflow threads capture no stack per promise by default', () => {
    expect(promiseHookInstalled({})).toBe(false);
  });

  it('then NOVAFLOW_WORKFLOW_STACK_TRACES=1 turns the stack-trace query back on', () => {
    expect(promiseHookInstalled({ NOVAFLOW_WORKFLOW_STACK_TRACES: '1' })).toBe(true);
  });
});
