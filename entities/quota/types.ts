/** quota/PROJECT: what its messages carry, and its state. */

/** Per-project limits. -1 means unlimited. */
export interface QuotaLimits {
  instances: number;
  cores: number;
  ram: number;
  metadata_items: number;
  key_pairs: number;
  server_groups: number;
  server_group_members: number;
  injected_files: number;
  injected_file_content_bytes: number;
  injected_file_path_bytes: number;
}

export const DEFAULT_QUOTA: QuotaLimits = {
  instances: 10,
  cores: 20,
  ram: 51200,
  metadata_items: 128,
  key_pairs: 100,
  server_groups: 10,
  server_group_members: 10,
  injected_files: 5,
  injected_file_content_bytes: 10240,
  injected_file_path_bytes: 255,
};

/** Usage counted by quota: instances, cores, ram. */
export interface QuotaUsage {
  instances: number;
  cores: number;
  ram: number;
}

/** Resources quota counts one by one (a key each), beside the instances, cores and RAM servers hold. */
export type CountedResource = 'server_groups' | 'key_pairs';

/** Holds one unit of a counted resource under `key` (the resource's own id); refused beyond the limit. */
export interface CountedReserveRequest {
  resource: CountedResource;
  key: string;
}

export interface QuotaState {
  projectId: string;
  limits: QuotaLimits;
  usage: QuotaUsage;
  /** How many of each counted resource the project holds. */
  counts?: Partial<Record<CountedResource, number>>;
}

/** Reserve quota for `keys[0..allowed)`, where allowed is between min and keys.length. */
export interface QuotaReserveRequest {
  reservationId: string;
  keys: string[];
  minCount: number;
  perInstance: { cores: number; ram: number };
}

/** Several reservations' requests decided in one update, in order. */
export interface QuotaBatchRequest {
  requests: QuotaReserveRequest[];
}

/** The quota entity's answer to one reservation: how many of its servers may launch, or Nova's 403 text. */
export type QuotaAnswer = { granted: number } | { refused: string };

/** Each reservation's answer. */
export interface QuotaBatchResult {
  answers: Record<string, QuotaAnswer>;
}

export interface QuotaReserveResult {
  allowed: number;
}
