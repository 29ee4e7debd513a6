import type { VmState } from '../entities/server/types';

/** Nova's API status of a server from its vm_state and task_state. */
export function serverStatus(vmState: VmState, taskState: string | null): string {
  if (taskState?.startsWith('rebuild') && ['active', 'stopped', 'error'].includes(vmState)) return 'REBUILD';
  switch (vmState) {
    case 'building':
      return 'BUILD';
    case 'active':
      if (taskState?.startsWith('reboot')) return taskState.endsWith('_hard') ? 'HARD_REBOOT' : 'REBOOT';
      return 'ACTIVE';
    case 'stopped':
      return 'SHUTOFF';
    case 'error':
      return 'ERROR';
    case 'deleted':
      return 'DELETED';
    default:
      return 'UNKNOWN';
  }
}

/** Every status a server can have, for validating the list filter. */
export const SERVER_STATUSES = [
  'ACTIVE',
  'BUILD',
  'REBOOT',
  'HARD_REBOOT',
  'REBUILD',
  'SHUTOFF',
  'ERROR',
  'DELETED',
  'UNKNOWN',
];
