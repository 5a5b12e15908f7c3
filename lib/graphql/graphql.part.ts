import { Tracer } from '@opentelemetry/api';
import { MetricsService } from '../metrics/metrics.service';
import { OBSERVABILITY_RESOLVED_OPTIONS, OBSERVABILITY_TRACER } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { ObservabilityPart } from '../observability-part.interface';
import { ApolloOperationsPlugin } from './apollo-operations.plugin';
import { GRAPHQL_APOLLO_PLUGIN, GRAPHQL_RECORDER, GRAPHQL_RESOLVER_INSTRUMENTER } from './graphql.constants';
import { GraphQLOperationRecorder } from './graphql-operation.recorder';
import { GraphQLResolverInstrumenter } from './graphql-resolver.instrumenter';
import { MercuriusHooksInstaller } from './mercurius-hooks.installer';

/**
 * GraphQL (`@nestjs/graphql`): a span and `graphql_server_request_duration_seconds` per operation, through an Apollo
 * plugin `@nestjs/apollo` discovers, or Mercurius hooks. Imports no GraphQL package: an app without one has
 * nothing to install, and nothing is recorded.
 */
export const graphqlPart: ObservabilityPart = {
  providers: [
    {
      provide: GRAPHQL_RECORDER,
      inject: [OBSERVABILITY_RESOLVED_OPTIONS, MetricsService, OBSERVABILITY_TRACER],
      useFactory: (options: ResolvedObservabilityOptions, metrics: MetricsService, tracer: Tracer): GraphQLOperationRecorder | null =>
        options.graphql.enabled && (options.metrics.enabled || options.tracing.enabled)
          ? new GraphQLOperationRecorder(options.tracing.enabled ? tracer : null, options.metrics.enabled ? metrics : null, options.graphql)
          : null,
    },
    {
      provide: GRAPHQL_APOLLO_PLUGIN,
      inject: [GRAPHQL_RECORDER],
      // A plain object has no `@Plugin()` metadata: Apollo's explorer skips it when the part is off.
      useFactory: (recorder: GraphQLOperationRecorder | null): object => (recorder === null ? {} : new ApolloOperationsPlugin(recorder)),
    },
    {
      provide: GRAPHQL_RESOLVER_INSTRUMENTER,
      inject: [GRAPHQL_RECORDER, OBSERVABILITY_RESOLVED_OPTIONS],
      useFactory: (recorder: GraphQLOperationRecorder | null, options: ResolvedObservabilityOptions): GraphQLResolverInstrumenter | null =>
        recorder !== null && options.tracing.enabled ? new GraphQLResolverInstrumenter(recorder) : null,
    },
    MercuriusHooksInstaller,
  ],
  instrumenters: [GRAPHQL_RESOLVER_INSTRUMENTER],
};
