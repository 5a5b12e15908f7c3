import { ObservabilityConfigError } from '../observability-config.error';
import { DEFAULT_HTTP_BUCKETS } from '../observability.constants';
import { checkBuckets, unknownOptionError } from '../observability-options.resolver';
import { GraphQLOptions, ResolvedGraphQLOptions } from './graphql-options.interface';

const KEYS = ['buckets', 'maxOperations', 'document', 'httpRoute'];

/** Applies the defaults of `graphql` and validates it (called by `resolveObservabilityOptions`). On by default. */
export function resolveGraphQLOptions(input: false | GraphQLOptions | undefined): ResolvedGraphQLOptions {
  const g = input === false || input === undefined ? {} : input;
  if (typeof g !== 'object' || g === null || Array.isArray(g)) throw ObservabilityConfigError.invalidOption('graphql', 'an object or false', g);
  for (const key of Object.keys(g)) {
    if (!KEYS.includes(key)) throw unknownOptionError(`graphql.${key}`, key, '"graphql"', KEYS);
  }
  const maxOperations = g.maxOperations ?? 100;
  if (!Number.isInteger(maxOperations) || maxOperations < 1) throw ObservabilityConfigError.invalidOption('graphql.maxOperations', 'a whole number ≥ 1', maxOperations);
  let documentMaxLength = 0;
  if (g.document === true) documentMaxLength = 2048;
  else if (typeof g.document === 'object' && g.document !== null) {
    const max = g.document.maxLength;
    if (!Number.isInteger(max) || max < 1) throw ObservabilityConfigError.invalidOption('graphql.document.maxLength', 'a whole number ≥ 1', max);
    documentMaxLength = max;
  } else if (g.document !== undefined && g.document !== false) {
    throw ObservabilityConfigError.invalidOption('graphql.document', 'a boolean or { maxLength }', g.document);
  }
  if (g.httpRoute !== undefined && typeof g.httpRoute !== 'boolean') throw ObservabilityConfigError.invalidOption('graphql.httpRoute', 'a boolean', g.httpRoute);
  return {
    enabled: input !== false,
    buckets: checkBuckets('graphql.buckets', g.buckets ?? [...DEFAULT_HTTP_BUCKETS]),
    maxOperations,
    documentMaxLength,
    httpRoute: g.httpRoute ?? false,
  };
}
