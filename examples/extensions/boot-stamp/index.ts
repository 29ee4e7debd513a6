import path from 'node:path';
import { z } from 'zod';
import type { NovaExtension } from '../../../extensions/types';
import { createBootStampActivities } from './activities';
import { bootStampRoutes } from './routes';
import { BOOT_STAMP_ALIAS, BOOT_STAMP_FIELD } from './stamp';

/**
 * An example third-party extension, loaded by configuration only:
 * `NOVAFLOW_EXTENSIONS=all,./examples/extensions/boot-stamp`. It adds a create field, a step after
 * spawn (workflow interceptor), an activity on every compute node and a route; no core file knows it.
 */
const bootStamp: NovaExtension = {
  descriptor: {
    name: 'BootStamp',
    alias: BOOT_STAMP_ALIAS,
    description: 'Stamps a server on its host right after it boots, with a note given at create.',
    updated: '2026-01-01T00:00:00Z',
    namespace: 'https://example.org/novaflow/boot-stamp',
  },
  api: {
    serverFields: { [BOOT_STAMP_FIELD]: z.string().min(1, 'is too short').max(64, 'is too long').optional() },
    routes: bootStampRoutes,
    policies: [
      {
        name: 'boot-stamp:show',
        check: 'rule:project_reader_or_admin',
        description: "Show a server's boot stamp.",
        operations: [{ method: 'GET', path: '/servers/:id/os-boot-stamp' }],
      },
    ],
  },
  compute: { activities: createBootStampActivities },
  workflowModules: [path.join(__dirname, 'workflow-interceptors.ts')],
};

export default bootStamp;
