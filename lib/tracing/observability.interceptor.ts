import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { context, SpanKind, trace, Tracer } from '@opentelemetry/api';
import { Observable } from 'rxjs';
import { invokeInstrumented } from '../instrumentation/invoke-instrumented';
import { OBSERVABILITY_TRACER } from '../observability.constants';
import { createSpanListener } from './span-listener';

/**
 * The OpenTelemetry interceptor, for contexts the module does not cover by itself (WebSocket gateways,
 * GraphQL resolvers, or microservices with `tracing.rpc: false`): a server span per call named
 * `Controller.handler`, with `nest.controller` / `nest.handler`. On HTTP it only names the handler on the
 * request's server span, which the adapter hook owns. The module registers it globally when
 * `tracing.interceptor` is `true`; off by default, because Nest's interceptor pipeline alone costs about
 * a quarter of a hello-world's HTTP throughput, and HTTP and RPC are covered without it.
 *
 * @example
 * @UseInterceptors(ObservabilityInterceptor)
 * @WebSocketGateway()
 * export class EventsGateway { ... }
 */
@Injectable()
export class ObservabilityInterceptor implements NestInterceptor {
  constructor(@Inject(OBSERVABILITY_TRACER) private readonly tracer: Tracer) {}

  intercept(executionContext: ExecutionContext, next: CallHandler): Observable<unknown> {
    const controller = executionContext.getClass().name;
    const handler = executionContext.getHandler().name;
    const attributes = { 'nest.controller': controller, 'nest.handler': handler, 'nest.context': executionContext.getType() };
    if (executionContext.getType() === 'http') {
      trace.getSpan(context.active())?.setAttributes(attributes);
      return next.handle();
    }
    const listener = createSpanListener(this.tracer, `${controller}.${handler}`, { kind: SpanKind.SERVER, attributes });
    return invokeInstrumented(() => next.handle(), undefined, [], listener) as Observable<unknown>;
  }
}
