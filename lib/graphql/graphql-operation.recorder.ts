import { Attributes, context, Span, SpanKind, SpanStatusCode, trace, Tracer } from '@opentelemetry/api';
import { Logger } from '@nestjs/common';
import { HTTP_EXCHANGE, HttpExchange } from '../instrumentation/http-exchange.interface';
import { LeanHistogram, LeanHistogramChild } from '../metrics/lean-histogram.metric';
import { MetricsService } from '../metrics/metrics.service';
import { ResolvedGraphQLOptions } from './graphql-options.interface';
import { OperationIdentity, redactedDocument } from './graphql-document';
import { recordException } from '../tracing/span-listener';

/** One GraphQL operation between its start and its response. */
export interface OperationState {
  readonly start: number;
  readonly span: Span | null;
  /** The span that was active when the operation started (the HTTP server span), for resolver spans. */
  readonly parent: Span | undefined;
  readonly exchange: HttpExchange | undefined;
  identity: OperationIdentity | undefined;
  ended: boolean;
}

/** Most exception events one operation's span carries; a list resolver failing per item makes hundreds. */
const MAX_ERROR_EVENTS = 10;

/**
 * Records one operation, whatever the driver: an INTERNAL span `query OrderById` (child of the HTTP server span) and
 * `graphql_server_request_duration_seconds{graphql_operation_type, graphql_operation_name, outcome}`. A response
 * with `errors` is `outcome="error"` and an ERROR span, whatever the HTTP status. Names are bounded by
 * `graphql.maxOperations` (then `OTHER`); anonymous operations are `unknown`.
 */
export class GraphQLOperationRecorder {
  private readonly logger = new Logger('ObservabilityModule');
  private readonly histogram: LeanHistogram | null;
  private readonly names = new Set<string>();
  private overflowWarned = false;
  /** The operation running under each HTTP server span, so that `@Traced()` resolvers become its children. */
  private readonly operations = new WeakMap<Span, Span>();
  /**
   * The histogram's children by operation type, then by bounded name: `[success, error]`, each made on first use. `child()` joins the
   * label values into a fresh key string per call (a map, a join and a hash each time); the strings here are
   * the document's own, already hashed. Bounded as the names are (`maxOperations` + `OTHER` + `unknown`).
   */
  private readonly series = new Map<string, Map<string, [LeanHistogramChild | null, LeanHistogramChild | null]>>();

  constructor(
    private readonly tracer: Tracer | null,
    metrics: MetricsService | null,
    private readonly options: ResolvedGraphQLOptions,
  ) {
    this.histogram =
      metrics === null
        ? null
        : metrics.leanHistogram(
            'graphql_server_request_duration_seconds',
            'Duration of GraphQL operations in seconds, from the request reaching the GraphQL server to its response.',
            ['graphql_operation_type', 'graphql_operation_name', 'outcome'],
            options.buckets,
            'the GraphQL metrics of ObservabilityModule',
          );
  }

  /** Starts an operation; `request` is the adapter request (Express or Fastify), when the driver gives it. */
  begin(request: unknown): OperationState {
    const exchange = request !== null && typeof request === 'object' ? ((request as Record<symbol, unknown>)[HTTP_EXCHANGE] as HttpExchange | undefined) : undefined;
    const parent = trace.getSpan(context.active());
    let span: Span | null = null;
    if (this.tracer !== null) {
      span = this.tracer.startSpan('GraphQL Operation', { kind: SpanKind.INTERNAL });
      if (parent !== undefined) this.operations.set(parent, span);
    }
    return { start: performance.now(), span, parent, exchange, identity: undefined, ended: false };
  }

  /** Names the operation once the document is parsed (the first identity wins). */
  identify(state: OperationState, identity: OperationIdentity, source?: unknown): void {
    if (state.identity !== undefined || state.ended) return;
    state.identity = identity;
    if (state.span !== null && state.span.isRecording()) {
      const attributes: Attributes = {};
      if (identity.type !== undefined) attributes['graphql.operation.type'] = identity.type;
      if (identity.name !== undefined) attributes['graphql.operation.name'] = identity.name;
      if (this.options.documentMaxLength > 0 && typeof source === 'string') {
        attributes['graphql.document'] = redactedDocument(source, this.options.documentMaxLength);
      }
      state.span.setAttributes(attributes);
      if (identity.type !== undefined) state.span.updateName(identity.name === undefined ? identity.type : `${identity.type} ${identity.name}`);
    }
    if (this.options.httpRoute && state.exchange !== undefined) {
      state.exchange.routeDetail = `${identity.type ?? 'unknown'} ${this.boundedName(identity.name)}`;
    }
  }

  /** The span of the operation running under `parent` (the HTTP server span), if any. */
  operationSpan(parent: Span): Span | undefined {
    return this.operations.get(parent);
  }

  /** Ends the operation with the response's `errors`: any error makes it an error. */
  end(state: OperationState, errors: readonly unknown[] | null | undefined): void {
    if (state.ended) return;
    state.ended = true;
    const seconds = (performance.now() - state.start) / 1000;
    const failed = Array.isArray(errors) && errors.length > 0;
    const identity = state.identity ?? { type: undefined, name: undefined };
    const span = state.span;
    if (span !== null) {
      if (state.parent !== undefined && this.operations.get(state.parent) === span) this.operations.delete(state.parent);
      if (failed && span.isRecording()) {
        for (let i = 0; i < Math.min(errors.length, MAX_ERROR_EVENTS); i++) recordException(span, asError(errors[i]));
        span.setAttribute('error.type', errorType(errors[0]));
        span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(errors[0]) });
      }
      span.end();
    }
    if (this.histogram !== null) this.seriesOf(this.histogram, identity.type ?? 'unknown', this.boundedName(identity.name), failed).observeInSpan(seconds, span?.spanContext());
  }

  private seriesOf(histogram: LeanHistogram, type: string, name: string, failed: boolean): LeanHistogramChild {
    let byName = this.series.get(type);
    if (byName === undefined) this.series.set(type, (byName = new Map()));
    let pair = byName.get(name);
    if (pair === undefined) byName.set(name, (pair = [null, null]));
    const index = failed ? 1 : 0;
    // Created on first use, as `child()` would: an outcome never seen has no series on /metrics.
    return (pair[index] ??= histogram.child({ graphql_operation_type: type, graphql_operation_name: name, outcome: failed ? 'error' : 'success' }));
  }

  private boundedName(name: string | undefined): string {
    if (name === undefined) return 'unknown';
    if (this.names.has(name)) return name;
    if (this.names.size >= this.options.maxOperations) {
      if (!this.overflowWarned) {
        this.overflowWarned = true;
        this.logger.warn(
          `More than ${this.options.maxOperations} distinct GraphQL operation names were seen; further ones are recorded as ` +
            `graphql_operation_name="OTHER". Raise "graphql.maxOperations" if this API really has that many operations.`,
        );
      }
      return 'OTHER';
    }
    this.names.add(name);
    return name;
  }
}

/** `error.type`: the error's code (`BAD_USER_INPUT`, `GRAPHQL_VALIDATION_FAILED`) when it has one, else its class. */
function errorType(error: unknown): string {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  if (typeof code === 'string' && code !== '') return code.slice(0, 64);
  const name = (error as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? name : 'GraphQLError';
}

function messageOf(error: unknown): string | undefined {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : undefined;
}

/** An entry of a response's `errors` that is no longer an `Error` (Mercurius formats them to plain objects). */
class GraphQLError extends Error {}

function asError(error: unknown): unknown {
  if (error instanceof Error) return error;
  const message = messageOf(error);
  return message === undefined ? error : new GraphQLError(message);
}
