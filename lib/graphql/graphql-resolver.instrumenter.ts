import { context, Span, trace } from '@opentelemetry/api';
import { InstrumentationSpec, InvocationListener, MethodInstrumenter } from '../instrumentation/instrumentation-spec.interface';
import { GraphQLOperationRecorder } from './graphql-operation.recorder';

/** `@nestjs/graphql`'s `@Resolver()` class metadata key (read, not imported: the package is optional). */
const RESOLVER_METADATA = 'graphql:resolver_type';

/**
 * Resolver spans are off by default; a resolver method with `@Traced()` gets one. Drivers give no hook that runs
 * execution inside a context, so the active span in a resolver is the HTTP server span: this layer, outside
 * `@Traced()`'s, runs the method inside its operation's span, found from that server span.
 */
export class GraphQLResolverInstrumenter implements MethodInstrumenter {
  readonly kinds = ['traced', 'observed'];
  readonly order = 150;

  constructor(private readonly recorder: GraphQLOperationRecorder) {}

  createListener(_spec: InstrumentationSpec, instance: object): InvocationListener<Span | undefined> | null {
    // `@Resolver()` without a type stores `undefined`: the key's presence is what tells.
    if (!Reflect.hasMetadata(RESOLVER_METADATA, instance.constructor)) return null;
    const recorder = this.recorder;
    return {
      start(): Span | undefined {
        const active = trace.getSpan(context.active());
        return active === undefined ? undefined : recorder.operationSpan(active);
      },
      run(operation, body) {
        return operation === undefined ? body() : context.with(trace.setSpan(context.active(), operation), body);
      },
      end() {},
    };
  }
}
