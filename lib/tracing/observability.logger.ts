import { ConsoleLogger, LogLevel } from '@nestjs/common';
import { context, trace } from '@opentelemetry/api';

/**
 * Nest's `ConsoleLogger` with trace correlation: every line logged inside a traced context carries
 * `trace_id` and `span_id` (as text, or as fields in JSON mode), so log backends can link to the trace.
 *
 * @example
 * const app = await NestFactory.create(AppModule, { logger: new ObservabilityLogger() });
 * // [Nest] 123  - … LOG [OrdersService] order created trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7
 *
 * @example
 * new ObservabilityLogger({ json: true }) // {"level":"log",…,"trace_id":"…","span_id":"…"}
 */
export class ObservabilityLogger extends ConsoleLogger {
  protected override formatMessage(
    logLevel: LogLevel,
    message: unknown,
    pidMessage: string,
    formattedLogLevel: string,
    contextMessage: string,
    timestampDiff: string,
  ): string {
    const line = super.formatMessage(logLevel, message, pidMessage, formattedLogLevel, contextMessage, timestampDiff);
    const ids = currentIds();
    if (ids === undefined) return line;
    const suffix = ` trace_id=${ids.traceId} span_id=${ids.spanId}`;
    return line.endsWith('\n') ? `${line.slice(0, -1)}${suffix}\n` : `${line}${suffix}`;
  }

  protected override getJsonLogObject(message: unknown, options: any): any {
    const object = (super.getJsonLogObject as (m: unknown, o: unknown) => Record<string, unknown>)(message, options);
    const ids = currentIds();
    return ids === undefined ? object : { ...object, trace_id: ids.traceId, span_id: ids.spanId };
  }
}

function currentIds(): { traceId: string; spanId: string } | undefined {
  const span = trace.getSpan(context.active());
  if (span === undefined) return undefined;
  const { traceId, spanId } = span.spanContext();
  return trace.isSpanContextValid(span.spanContext()) ? { traceId, spanId } : undefined;
}
