import type { Flavor } from '../common/types';

/** Optional things a driver can do; core code checks these, never driver types. */
export type DriverCapability = 'uptime' | 'console-output';

export interface InstanceSpec {
  id: string;
  name: string;
  /** The guest's hostname (Nova's, from the name or set by 2.90); drivers fall back to the name. */
  hostname?: string;
  flavor: Flavor;
  imageRef: string;
  metadata: Record<string, string>;
  /**
   * What the extensions' build steps prepared for the guest, by step name (its addresses, its key,
   * its image's properties): a driver hands it to the guest as a config drive would, unread.
   */
  guest?: Record<string, Record<string, unknown>>;
}

export interface InstanceInfo {
  id: string;
  running: boolean;
  pid?: number;
  /** Seconds since the guest last booted (or was reset), when the driver knows. */
  uptimeSeconds?: number;
}

/** Something that happened to an instance that no driver call asked for (its process died, the guest powered off). */
export interface InstanceEvent {
  id: string;
  running: boolean;
  reason: string;
}

/** Resources the hypervisor offers, reported when the compute node starts. */
export interface DriverInventory {
  vcpus: number;
  ram: number;
  disk: number;
  hypervisorType: string;
  hypervisorVersion: number;
}

/**
 * The virt driver contract. Every method is idempotent by instance id, so an activity retried after a
 * lost completion does no harm.
 */
export interface VirtDriver {
  readonly name: string;
  readonly capabilities: ReadonlySet<DriverCapability>;
  inventory(): DriverInventory;
  /**
   * Creates and boots the instance. Spawning an instance that already runs succeeds. On failure the
   * driver cleans up any partial instance and throws RescheduleError (another host may succeed) or
   * BuildAbortError (no host will). When `signal` aborts (the server was deleted while building) the
   * driver stops as soon as it can; the caller then destroys whatever was made.
   */
  spawn(instance: InstanceSpec, progress: (percent: number) => void, signal?: AbortSignal): Promise<void>;
  /** Destroys the instance; destroying a missing instance succeeds. */
  destroy(id: string): Promise<void>;
  reboot(id: string, hard: boolean): Promise<void>;
  powerOff(id: string): Promise<void>;
  powerOn(id: string): Promise<void>;
  getInfo(id: string): Promise<InstanceInfo | null>;
  /**
   * Prepares the driver before the node takes work: finds the instances that outlived the node (a
   * driver whose instances are not the node's processes) and probes the hypervisor.
   */
  start?(): Promise<void>;
  /** The ids of every instance on this host, running or not. */
  listInstances?(): Promise<string[]>;
  /** Calls `listener` when an instance stops (or starts) without being asked to. */
  watch?(listener: (event: InstanceEvent) => void): void;
  /** The hypervisor's uptime line; only with the `uptime` capability. */
  uptime?(): Promise<string>;
  /** The instance's console log; only with the `console-output` capability. */
  consoleOutput?(id: string, length?: number): Promise<string>;
  /**
   * Releases what the driver holds on this machine when the compute node stops; a driver whose
   * instances are processes of the node stops them here, so none outlives it. A driver whose
   * instances are the hypervisor's (QEMU daemons) leaves them running for the node's next start.
   */
  close?(): Promise<void>;
}

/** The spawn failed here; another host may succeed. */
export class RescheduleError extends Error {
  override name = 'RescheduleError';
}

/** The build can never succeed; do not try another host. */
export class BuildAbortError extends Error {
  override name = 'BuildAbortError';
}

/** The instance is not on this host. */
export class InstanceNotFound extends Error {
  override name = 'InstanceNotFound';
}
