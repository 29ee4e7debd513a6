import path from 'node:path';
import type { NovaExtension } from '../types';
import { CONSOLE_OUTPUT_ACTION, getConsoleOutput } from './action';
import { createConsoleOutputComputeActivities } from './activities';

/**
 * os-console-output: the `os-getConsoleOutput` server action. The API hands the read to a short
 * workflow that runs one activity on the server's host queue, where the driver's `console-output`
 * capability answers; a driver without it is a 501.
 */
export const consoleOutputExtension: NovaExtension = {
  descriptor: {
    name: 'ConsoleOutput',
    alias: 'os-console-output',
    description: 'Console log output support, with tailing ability.',
    updated: '2014-12-03T00:00:00Z',
  },
  api: {
    serverActions: { [CONSOLE_OUTPUT_ACTION]: getConsoleOutput },
    policies: [
      {
        name: 'os_compute_api:os-console-output',
        check: 'rule:project_member_or_admin',
        description: "Read a server's console output.",
        operations: [{ action: CONSOLE_OUTPUT_ACTION }],
      },
    ],
  },
  compute: { activities: createConsoleOutputComputeActivities },
  workflowTypes: [path.join(__dirname, 'workflow.ts')],
  requires: ['console-output'],
};

export default consoleOutputExtension;
