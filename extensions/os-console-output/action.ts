import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { conflict } from '../../common/errors';
import { CONTROL_TASK_QUEUE } from '../../common/names';
import type { ServerActionHandler } from '../types';
import { ctx } from '../../api/context';
import { parseBody } from '../../api/schemas/validate';
import { getServer } from '../../api/usecases/servers';
import type { ConsoleOutputInput, consoleOutputWorkflow } from './workflow';

/** The body key of the action. */
export const CONSOLE_OUTPUT_ACTION = 'os-getConsoleOutput';

/** Nova's schema: an integer >= -1, a string of digits, or null; -1 and null mean every line. */
const body = z
  .object({
    [CONSOLE_OUTPUT_ACTION]: z
      .object({
        length: z
          .union([z.int().min(-1), z.string().regex(/^-?[0-9]+$/, 'does not match "^-?[0-9]+$"'), z.null()])
          .optional(),
      })
      .strict(),
  })
  .strict();

/** Workflow id of one console read; the nonce keeps concurrent reads of one server apart. */
function consoleOutputWorkflowId(serverId: string): string {
  return `console-output/${serverId}/${randomUUID()}`;
}

function toLength(value: number | string | null | undefined): number | null {
  if (value === undefined || value === null) return null;
  const n = Number(value);
  return n < 0 ? null : n;
}

// Nova strips these before answering, so a console full of terminal escapes is still valid JSON text.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\x00-\x08\x0B-\x1F]/g;

/**
 * `{"os-getConsoleOutput": {"length": N}}`: 200 `{"output": ...}` read from the server's host. Only an
 * ACTIVE server has a console to read (409 otherwise); 404 for a server the caller cannot see.
 */
export const getConsoleOutput: ServerActionHandler = async (deps, req, serverId, input) => {
  const parsed = parseBody(body, { [CONSOLE_OUTPUT_ACTION]: input })[CONSOLE_OUTPUT_ACTION];
  const server = await getServer(deps.client, ctx(req).caller, serverId);
  if (server.vmState !== 'active')
    throw conflict(
      `Cannot 'get_console_output' instance ${serverId} while it is in vm_state ${server.vmState}`,
    );
  if (!server.host) throw conflict(`Instance ${serverId} is not ready`);
  const args: ConsoleOutputInput = {
    host: server.host,
    ...(server.hostQueue ? { queue: server.hostQueue } : {}),
    serverId,
    length: toLength(parsed.length),
  };
  const output: string = await deps.client.workflow.execute<typeof consoleOutputWorkflow>(
    'consoleOutputWorkflow',
    {
      taskQueue: CONTROL_TASK_QUEUE,
      workflowId: consoleOutputWorkflowId(serverId),
      args: [args],
      workflowExecutionTimeout: '1 minute',
    },
  );
  return { status: 200, body: { output: output.replace(CONTROL_CHARS, '') } };
};
