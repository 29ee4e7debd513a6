import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJson } from './support/history-json';

/**
 * Recorded histories replayed against today's workflow bundle (core plus built-in extension
 * interceptors): a change that would break a running workflow fails here, in CI.
 * Regenerate with `npx tsx test/support/record-histories.ts` and commit the files.
 */
const HISTORIES = path.join(__dirname, 'histories');
describe('when recorded histories are replayed with the current workflow code', () => {
  it('then every one replays without a non-determinism error', async () => {
    const files = fs.readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    const histories = files.map((f) => ({
      workflowId: f.replace(/\.json$/, ''),
      history: historyFromJson(JSON.parse(fs.readFileSync(path.join(HISTORIES, f), 'utf8'))),
    }));
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: { codePath: process.env.NOVAFLOW_TEST_BUNDLE! }, replayName: 'novaflow-replay' },
      histories,
    )) {
      if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
    }
    expect(failures).toEqual([]);
  });
});
