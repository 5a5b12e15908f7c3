/** Token of the `GraphQLOperationRecorder`, `null` when `graphql` or both metrics and tracing are off. */
export const GRAPHQL_RECORDER = Symbol('nestjs-observability:graphql-recorder');

/** Token of the Apollo plugin provider: an `ApolloOperationsPlugin`, or an inert object `@nestjs/apollo` skips. */
export const GRAPHQL_APOLLO_PLUGIN = Symbol('nestjs-observability:graphql-apollo-plugin');

/** Token of the instrumenter that runs `@Traced()` resolvers inside their operation's span (`null` without tracing). */
export const GRAPHQL_RESOLVER_INSTRUMENTER = Symbol('nestjs-observability:graphql-resolver-instrumenter');
