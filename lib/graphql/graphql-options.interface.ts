/**
 * Options of the GraphQL part (`@nestjs/graphql` with Apollo or Mercurius): one span and one
 * `graphql_server_request_duration_seconds` sample per operation.
 *
 * @example
 * { graphql: { httpRoute: true, maxOperations: 50 } }
 */
export interface GraphQLOptions {
  /**
   * Buckets (seconds) of `graphql_server_request_duration_seconds`.
   * @default the HTTP server buckets (5 ms to 10 s)
   */
  buckets?: number[];
  /**
   * Distinct operation names recorded as themselves in the metric (and, with `httpRoute`, in the HTTP route);
   * later new names are recorded as `OTHER`, with one warning. Spans keep the real name.
   * @default 100
   */
  maxOperations?: number;
  /**
   * Whether the operation span carries `graphql.document`, with every literal value replaced by `*`,
   * cut at `maxLength` characters (`true` means 2048).
   * @default false
   */
  document?: boolean | { maxLength: number };
  /**
   * Whether the HTTP server span and `http_server_request_duration_seconds` name the operation:
   * `http_route="/graphql query OrderById"` and the span `POST /graphql query OrderById`, instead of a bare
   * `/graphql`. Names are bounded by `maxOperations`; anonymous operations are `unknown`.
   * @default false
   */
  httpRoute?: boolean;
}

/** `graphql` after defaults were applied. */
export interface ResolvedGraphQLOptions {
  enabled: boolean;
  buckets: number[];
  maxOperations: number;
  /** 0 when the document is not recorded. */
  documentMaxLength: number;
  httpRoute: boolean;
}
