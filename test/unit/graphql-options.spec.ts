/** `graphql` options: defaults, and a bad value refused at boot with what and why. */
import { ObservabilityConfigError } from '../../lib';
import { resolveObservabilityOptions } from '../../lib/observability-options.resolver';
import { redactedDocument, operationOf } from '../../lib/graphql/graphql-document';

describe('graphql options', () => {
  it('is on by default, without the document or the HTTP route naming', () => {
    expect(resolveObservabilityOptions({}).graphql).toMatchObject({ enabled: true, maxOperations: 100, documentMaxLength: 0, httpRoute: false });
    expect(resolveObservabilityOptions({ graphql: false }).graphql.enabled).toBe(false);
    expect(resolveObservabilityOptions({ graphql: { document: true } }).graphql.documentMaxLength).toBe(2048);
  });

  it.each([
    [{ maxOperations: 0 }, 'graphql.maxOperations'],
    [{ document: { maxLength: -1 } }, 'graphql.document.maxLength'],
    [{ document: 'yes' }, 'graphql.document'],
    [{ httpRoute: 'yes' }, 'graphql.httpRoute'],
    [{ buckets: [2, 1] }, 'graphql.buckets'],
    [{ operations: 1 }, 'graphql.operations'],
  ])('refuses %j', (graphql, option) => {
    const resolve = () => resolveObservabilityOptions({ graphql } as never);
    expect(resolve).toThrow(ObservabilityConfigError);
    expect(resolve).toThrow(option);
  });
});

describe('graphql documents', () => {
  it('redacts string and number literals, not names', () => {
    expect(redactedDocument('query Q2 { a(id: "x\\"y", n: -1.5e3, b: """long""") { f1 } }', 1000)).toBe('query Q2 { a(id: *, n: *, b: *) { f1 } }');
    expect(redactedDocument('{ a(id: "123456") }', 8)).toBe('{ a(id: ');
  });

  it('finds the operation named, else the only one', () => {
    const document = { definitions: [{ kind: 'OperationDefinition', operation: 'query', name: { value: 'A' } }, { kind: 'OperationDefinition', operation: 'mutation', name: { value: 'B' } }] };
    expect(operationOf(document, 'B')).toEqual({ type: 'mutation', name: 'B' });
    expect(operationOf(document, undefined)).toEqual({ type: undefined, name: undefined });
    expect(operationOf({ definitions: [{ kind: 'OperationDefinition', operation: 'query' }] }, null)).toEqual({ type: 'query', name: undefined });
    expect(operationOf('not parsed', 'A')).toEqual({ type: undefined, name: undefined });
  });
});
