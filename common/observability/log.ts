import pino, { type Logger } from 'pino';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';

/**
 * novaflow's logs: one JSON object per line on stdout (pino), each naming its process (`service`)
 * and carrying the ids the line knows of — `request_id`, `project_id`, `reservation_id`,
 * `workflow_id`, `host` — so an operator can follow one create across the API and the workers.
 * `NOVAFLOW_LOG_LEVEL` sets the level (default info).
 */
export type { Logger } from 'pino';

let root: Logger | undefined;

/** A logger in novaflow's format: ISO time, the level by name, the service and pid on every line. */
export function makeLogger(
  service: string,
  destination?: pino.DestinationStream,
  level = process.env.NOVAFLOW_LOG_LEVEL ?? 'info',
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** The process's root logger, made on first use. `service` names the process (api, control, compute-1). */
export function rootLogger(service?: string): Logger {
  root ??= makeLogger(service ?? process.env.NOVAFLOW_SERVICE_NAME ?? 'novaflow');
  return root;
}

/** Replaces the root logger (tests write to a stream of their own). */
export function setRootLogger(logger: Logger): void {
  root = logger;
}

/** Names this process in every line (`service`); call first thing in a process's main. */
export function initLogging(service: string): Logger {
  root = undefined;
  return rootLogger(service);
}

/**
 * A logger for one part of the process: every line it writes says `component`. Made on first use,
 * so modules may take theirs at import time, before the process's main has named the service.
 */
export function logger(component: string): Logger {
  let child: Logger | undefined;
  let of: Logger | undefined;
  const current = () => {
    const r = rootLogger();
    if (of !== r) {
      child = r.child({ component });
      of = r;
    }
    return child!;
  };
  return new Proxy({} as Logger, {
    get(_target, prop) {
      const target = current();
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Temporal's metadata keys as novaflow's log fields (the SDK's camelCase ids become ours). */
const TEMPORAL_KEYS: Record<string, string> = {
  workflowId: 'workflow_id',
  runId: 'run_id',
  workflowType: 'workflow_type',
  activityType: 'activity_type',
  activityId: 'activity_id',
  taskQueue: 'task_queue',
  namespace: 'namespace',
};

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * The Temporal SDK's logger (Runtime.install) writing through pino: the SDK's own lines and those of
 * workflows and activities, with their workflow and activity ids as novaflow's fields.
 */
export function temporalLogger(minLevel: LogLevel = 'WARN'): TemporalLogger {
  const log = logger('temporal');
  const order: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    if (order.indexOf(level) < order.indexOf(minLevel)) return;
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(meta ?? {})) {
      if (k === 'sdkComponent') fields.sdk_component = v;
      // An Error as JSON is `{}`: the SDK's "Worker failed" said nothing of why.
      else fields[TEMPORAL_KEYS[k] ?? k] = v instanceof Error ? pino.stdSerializers.err(v) : v;
    }
    log[LEVELS[level]](fields, message);
  };
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}
