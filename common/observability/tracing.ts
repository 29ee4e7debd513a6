import { context, propagation, trace, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  OpenTelemetryPlugin,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkflowClientInterceptor } from '@temporalio/client';

/**
 * OpenTelemetry traces of one create, from its HTTP request through the Temporal client, the
 * workflows (reservation, server) and their activities down to the driver call: Temporal's
 * OpenTelemetry interceptors carry the trace context in workflow and activity headers. On when an
 * OTLP endpoint is configured (the standard `OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, OTLP over HTTP), or when a test hands in its own processor.
 */
export interface Tracing {
  tracer: Tracer;
  resource: Resource;
  processor: SpanProcessor;
  /** Interceptors for a Temporal client whose calls continue the caller's trace. */
  clientInterceptors: { workflow: WorkflowClientInterceptor[] };
  /** The worker plugin: workflow and activity interceptors plus the sink workflows export spans through. */
  workerPlugin(): OpenTelemetryPlugin;
  shutdown(): Promise<void>;
}

export const TRACER_NAME = 'novaflow';

/** Whether the environment asks for traces. */
export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts tracing for this process (`service` becomes `service.name`), exporting through `processor`
 * or, without one, over OTLP when configured. Undefined when tracing is off.
 */
export function startTracing(service: string, processor?: SpanProcessor): Tracing | undefined {
  if (!processor && !tracingConfigured()) return undefined;
  const spanProcessor = processor ?? new BatchSpanProcessor(new OTLPTraceExporter());
  const resource = new Resource({ 'service.name': service, 'service.namespace': 'novaflow' });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // The global provider, context manager (async local storage) and W3C propagator.
  provider.register();
  const tracer = provider.getTracer(TRACER_NAME);
  return {
    tracer,
    resource,
    processor: spanProcessor,
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] },
    workerPlugin: () => new OpenTelemetryPlugin({ resource, spanProcessor, tracer }),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** Runs `fn` in a span of its own (a driver call, a scheduling pass), recording its failure. */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Record<string, string | number>,
  fn: () => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes }, async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The tracer of the globally registered provider (a no-op one when tracing is off). */
export function globalTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}
