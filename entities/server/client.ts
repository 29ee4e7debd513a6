import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { isNotFound } from '../client-errors';
import { defaultPayloadConverter } from '@temporalio/common';
import { CONTROL_TASK_QUEUE, serverWorkflowId } from '../../common/names';
import { NovaHost, NovaKind, NovaProject, NovaReservation, NovaStatus } from '../../common/search-attributes';
import type { ServerWorkflowInput } from '../reservation/stages';
import {
  describeServerQuery,
  editServerUpdate,
  serverActionUpdate,
  type ServerActionRequest,
  type ServerEdit,
} from './messages';
import { initialServerRecord, memoView, type ServerMemoView } from './rules';
import type { ServerRecord } from './types';
import type { serverWorkflow } from './workflow';

/** The server entity's client: the only code that starts `server/<uuid>` or sends it updates and queries. */

function fromView(view: ServerMemoView): ServerRecord {
  return { ...view, attempts: [], actions: [] };
}

/**
 * The server's entity, if it was started: the view its memo keeps (updated with every change), read
 * by a describe, which the Temporal server answers itself. A query would wait for a worker to take a
 * query task — up to 30 s while the entity's first workflow task is still queued behind build work.
 */
export async function readServer(client: Client, id: string): Promise<ServerRecord | undefined> {
  const handle = client.workflow.getHandle(serverWorkflowId(id));
  try {
    const view = (await handle.describe()).memo?.view as ServerMemoView | undefined;
    return view ? fromView(view) : await handle.query(describeServerQuery);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The full record (instance actions and attempts included), by a query; undefined if never started. */
export async function describeServer(client: Client, id: string): Promise<ServerRecord | undefined> {
  try {
    return await client.workflow.getHandle(serverWorkflowId(id)).query(describeServerQuery);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Sends a lifecycle action; the entity's validator refuses what its state does not allow (409). */
export async function sendServerAction(client: Client, id: string, req: ServerActionRequest): Promise<void> {
  await client.workflow.getHandle(serverWorkflowId(id)).executeUpdate(serverActionUpdate, {
    args: [req],
    updateId: `${req.action.type}/${req.caller.requestId}`,
  });
}

/** Renames a server or changes its metadata; answers the record after the change. */
export async function editServer(client: Client, id: string, edit: ServerEdit): Promise<ServerRecord> {
  return client.workflow.getHandle(serverWorkflowId(id)).executeUpdate(editServerUpdate, { args: [edit] });
}

/** Whether the server's entity still runs (a deleted server's has ended). */
export async function isServerRunning(client: Client, id: string): Promise<boolean> {
  return client.workflow
    .getHandle(serverWorkflowId(id))
    .describe()
    .then(
      (d) => d.status.name === 'RUNNING',
      () => false,
    );
}

/** Starts a server's entity with the search attributes and memo lists read; a second start is a no-op. */
export async function startServer(client: Client, input: ServerWorkflowInput): Promise<void> {
  try {
    await client.workflow.start<typeof serverWorkflow>('serverWorkflow', {
      workflowId: serverWorkflowId(input.seed.id),
      taskQueue: CONTROL_TASK_QUEUE,
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: NovaKind, value: 'server' },
        { key: NovaProject, value: input.seed.projectId },
        { key: NovaReservation, value: input.seed.reservationId },
        { key: NovaStatus, value: input.fault ? 'ERROR' : 'BUILD' },
        { key: NovaHost, value: input.placement?.host ?? '' },
      ],
      memo: {
        view: memoView(initialServerRecord(input.seed, input.createdAt, input.fault, input.placement)),
        extensions: input.extensions,
      },
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/** A protobuf payload as the Temporal client returns it inside raw responses. */
export interface RawPayload {
  metadata?: Record<string, Uint8Array> | null;
  data?: Uint8Array | null;
}

/** Decodes payloads of a raw response with the default converter (novaflow uses no codec). */
export function decodePayloads(payloads: readonly RawPayload[] | null | undefined): unknown[] {
  return (payloads ?? []).map((p) => {
    try {
      return defaultPayloadConverter.fromPayload({
        metadata: p.metadata ?? undefined,
        data: p.data ?? undefined,
      });
    } catch {
      return undefined;
    }
  });
}

/** The `progress` the spawn activity last reported in its heartbeat details, if it is running. */
export async function spawnProgress(client: Client, serverId: string): Promise<number | undefined> {
  const { raw } = await client.workflow.getHandle(serverWorkflowId(serverId)).describe();
  for (const pending of raw.pendingActivities ?? []) {
    if (pending.activityType?.name !== 'spawn') continue;
    const [details] = decodePayloads(pending.heartbeatDetails?.payloads);
    const progress = (details as { progress?: unknown } | undefined)?.progress;
    if (typeof progress === 'number') return progress;
  }
  return undefined;
}
