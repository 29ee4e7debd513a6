import { ApplicationFailure } from '@temporalio/common';

/**
 * One small error hierarchy. Each error names its Nova fault; the API renders it in exactly one place
 * and it crosses the Temporal boundary as an ApplicationFailure whose `type` is the fault name.
 */
export const FAULT_STATUS = {
  badRequest: 400,
  unauthorized: 401,
  forbidden: 403,
  itemNotFound: 404,
  badMethod: 405,
  conflictingRequest: 409,
  overLimit: 413,
  badMediaType: 415,
  computeFault: 500,
  notImplemented: 501,
  serviceUnavailable: 503,
} as const;

export type FaultName = keyof typeof FAULT_STATUS;

/** An error the API answers with a Nova fault body. */
export class NovaError extends Error {
  /** The HTTP status; by default the fault's own (Nova names statuses it has no fault for computeFault). */
  readonly status: number;

  constructor(
    readonly fault: FaultName,
    message: string,
    status?: number,
    /** Response headers the fault needs (a 401's WWW-Authenticate). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'NovaError';
    this.status = status ?? FAULT_STATUS[fault];
  }
}

export const badRequest = (message: string) => new NovaError('badRequest', message);
export const forbidden = (message: string) => new NovaError('forbidden', message);
export const notFound = (message: string) => new NovaError('itemNotFound', message);
export const conflict = (message: string) => new NovaError('conflictingRequest', message);
export const notImplemented = (message: string) => new NovaError('notImplemented', message);

/** The failure to throw from a workflow or activity so the API gets this fault back. */
export function toFailure(err: NovaError): ApplicationFailure {
  return ApplicationFailure.create({ type: err.fault, message: err.message, nonRetryable: true });
}

/** Failure types of a virt driver: retry on another host, or give up on this server. */
export const RESCHEDULE = 'RescheduleError';
export const BUILD_ABORT = 'BuildAbortError';

function isFaultName(type: string | undefined | null): type is FaultName {
  return type != null && Object.prototype.hasOwnProperty.call(FAULT_STATUS, type);
}

/** Walks a Temporal error's cause chain for a failure that names a Nova fault. */
export function fromFailure(err: unknown): NovaError | undefined {
  let cur: unknown = err;
  for (let depth = 0; cur && depth < 8; depth++) {
    if (cur instanceof NovaError) return cur;
    if (cur instanceof ApplicationFailure && isFaultName(cur.type))
      return new NovaError(cur.type, cur.message);
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
