/**
 * Series workflows emit through Temporal's metric meter (workflow code cannot hold a Prometheus
 * registry): the SDK counts them once per task, never on replay, and exports them with its own; a
 * worker's `/metrics` shows them after novaflow's.
 */
export const WORKFLOW_METRICS = {
  /** A server's spawn failed on one host and goes on to an alternate (label `from`: the host). */
  reschedules: 'novaflow_reschedules',
  /** A create's quota update refused by its project's quota entity. */
  quotaRefusals: 'novaflow_quota_refusals',
} as const;
