/**
 * A call to many hosts of one fleet in one activity task: a fleet's compute worker (workers/compute.ts)
 * offers `fleetCall`, which runs `activity` with `input` for each of `hosts` and answers each host's
 * result or failure. Workflows that read every host (a hypervisor list's uptimes) send a fleet one
 * task, not one per host. Plain data: workflows import it.
 */
export const FLEET_CALL = 'fleetCall';

export interface FleetCallInput {
  activity: string;
  hosts: string[];
  input?: Record<string, unknown>;
}

/** Each host's answer to a fleet call, or the message of its failure. */
export type FleetCallResult = Record<string, { value: unknown } | { error: string }>;
