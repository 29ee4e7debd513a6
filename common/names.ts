/**
 * Task-queue names and workflow ids: every layer builds them here and nowhere else.
 */

/**
 * Task queue of the control worker: reservations, servers and extension workflows, and the
 * control-plane activities (the entities other tasks wait on run on the admission queue).
 */
export const CONTROL_TASK_QUEUE = 'novaflow';

/**
 * Task queue of the admission worker: the entities whose updates other work waits on — the quota
 * entities every create's API call waits on, the host entities a schedule claims on (and the compute
 * services whose liveness it reads), and resource entities extensions run (a network's address pool).
 * It has a worker of its own so an admission never queues behind the build work of creates already
 * admitted, and so a control workflow task held open by a local activity that waits on one of them
 * never holds the slot that entity needs.
 */
export const ADMISSION_TASK_QUEUE = 'novaflow-admission';

/** Task queue of one compute node: the activities that call its virt driver. */
export function computeTaskQueue(host: string): string {
  return `compute/${host}`;
}

/** Host name from a compute task queue, or undefined for any other queue. */
export function hostOfTaskQueue(taskQueue: string): string | undefined {
  return taskQueue.startsWith('compute/') ? taskQueue.slice('compute/'.length) : undefined;
}

export function reservationWorkflowId(reservationId: string): string {
  return `reservation/${reservationId}`;
}

export function serverWorkflowId(serverId: string): string {
  return `server/${serverId}`;
}

export function hostWorkflowId(host: string): string {
  return `host/${host}`;
}

export function quotaWorkflowId(project: string): string {
  return `quota/${project}`;
}

/** Entity of one compute service (a compute-node process, serving one host or a fleet of them). */
export function computeServiceWorkflowId(service: string): string {
  return `compute-service/${service}`;
}

/** Task queue a fleet process's hosts share: every driver call names its host in its input. */
export function fleetTaskQueue(service: string): string {
  return `compute-fleet/${service}`;
}

export function isFleetQueue(taskQueue: string): boolean {
  return taskQueue.startsWith('compute-fleet/');
}
